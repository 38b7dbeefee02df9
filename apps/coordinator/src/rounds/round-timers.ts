import type { Round } from '../domain/records';
import { effectOf, type RoundChange } from './round-changes';
import type { RoundsService } from './rounds.service';

export interface RoundTimersLog {
  error(obj: object, msg: string): void;
}

/** setTimeout's largest delay; a later deadline is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A timer may fire a millisecond before Date.now() reaches the deadline, which RoundsService
 * treats as stale: aim a little late.
 */
const DEADLINE_SLACK_MS = 20;

/**
 * Deadline timers, one per open round: armed when a change asks for a deadline (`scheduleDeadline`)
 * and at start for the rounds in flight; when one fires it tells `RoundsService.deadlinePassed`,
 * and re-arms itself if the round is still open with a later deadline. Memory only: the deadline
 * itself is persisted with the round.
 *
 * @example
 * changes.subscribe((c) => timers.onChange(c));
 * timers.arm(round); // at start, for a round in flight
 */
export class RoundTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly rounds: RoundsService,
    private readonly log: RoundTimersLog,
  ) {}

  onChange(change: RoundChange): void {
    const { round } = change;
    if (effectOf(change, 'scheduleDeadline')) this.arm(round);
    else if (round.state === 'completed' || round.state === 'failed') this.disarm(round);
  }

  /** Arms (or re-arms) the timer of `round` at its persisted deadline. */
  arm(round: Round): void {
    if (!round.deadline) return;
    clearTimeout(this.timers.get(round.id));
    const delay = Math.min(
      MAX_TIMER_MS,
      Math.max(0, round.deadline.getTime() - Date.now()) + DEADLINE_SLACK_MS,
    );
    const timer = setTimeout(() => {
      this.timers.delete(round.id);
      this.rounds.deadlinePassed(round.studyId, round.number).then(
        (after) => {
          const open =
            after.state === 'waiting' || after.state === 'training' || after.state === 'evaluating';
          if (open && after.deadline && !this.timers.has(round.id)) this.arm(after);
        },
        (e: unknown) => this.log.error({ err: e, roundId: round.id }, 'deadline handling failed'),
      );
    }, delay);
    this.timers.set(round.id, timer);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private disarm(round: Round): void {
    clearTimeout(this.timers.get(round.id));
    this.timers.delete(round.id);
  }
}
