/**
 * The round state machine of DESIGN.md "Rounds": `waiting → training → aggregating → evaluating →
 * completed` (or `failed`). It is pure: `(round, event) → {round, effects}`; effects are data that
 * `RoundsService` executes in order after persisting the new round (the first effect is always
 * `persistRound`, so every transition is written before anything acts on it). Pause and resume are
 * study-level (see `study-lifecycle.ts`) and never reach this machine.
 */
export const ROUND_STATES = [
  'waiting',
  'training',
  'aggregating',
  'evaluating',
  'completed',
  'failed',
] as const;
export type RoundState = (typeof ROUND_STATES)[number];

export interface RoundSnapshot {
  readonly state: RoundState;
  /** 1 for the first try of this round number; a deadline without quorum retries with attempt + 1. */
  readonly attempt: number;
}

export type RoundEvent =
  | { readonly type: 'quorumReached'; readonly siteIds: readonly string[] }
  | { readonly type: 'updateAccepted'; readonly siteId: string }
  | { readonly type: 'allUploaded' }
  | { readonly type: 'deadlinePassed'; readonly quorum: boolean }
  | { readonly type: 'aggregationDone'; readonly modelVersion: number }
  | { readonly type: 'aggregationFailed'; readonly reason: string }
  | { readonly type: 'quorumLost'; readonly reason: string }
  | { readonly type: 'resumed' }
  | { readonly type: 'evaluationDone' }
  | { readonly type: 'evaluationDeadlinePassed' }
  | { readonly type: 'abort'; readonly reason: string };
export type RoundEventType = RoundEvent['type'];
export const ROUND_EVENT_TYPES: readonly RoundEventType[] = [
  'quorumReached',
  'updateAccepted',
  'allUploaded',
  'deadlinePassed',
  'aggregationDone',
  'aggregationFailed',
  'quorumLost',
  'resumed',
  'evaluationDone',
  'evaluationDeadlinePassed',
  'abort',
];

export type RoundEffect =
  | { readonly type: 'persistRound' }
  | { readonly type: 'sendTrainingTasks'; readonly siteIds: readonly string[] }
  | { readonly type: 'scheduleDeadline'; readonly seconds: number }
  | { readonly type: 'markStragglers' }
  | { readonly type: 'aggregate' }
  | { readonly type: 'sendEvaluationTasks'; readonly modelVersion: number }
  | { readonly type: 'retryRound'; readonly attempt: number }
  | { readonly type: 'reopenRound' }
  | { readonly type: 'awaitLead'; readonly reason: string }
  | { readonly type: 'roundCompleted' }
  | { readonly type: 'roundFailed'; readonly reason: string };

export interface Transition {
  readonly kind: 'transition';
  readonly round: RoundSnapshot;
  readonly effects: readonly RoundEffect[];
}

/** A state/event pair the machine does not define: a typed value, not an exception. */
export interface IllegalTransition {
  readonly kind: 'illegal';
  readonly from: RoundState;
  readonly event: RoundEventType;
}

export interface RoundPolicy {
  /** Round deadline of the study spec (`round_deadline_s`); evaluation gets the same budget. */
  readonly deadlineSeconds: number;
  /** Tries of one round number before the study waits for its lead (paused) for lack of sites. */
  readonly maxAttempts: number;
}

const PERSIST: RoundEffect = { type: 'persistRound' };

/**
 * @example
 * const machine = new RoundMachine({ deadlineSeconds: 600, maxAttempts: 3 });
 * machine.transition({ state: 'waiting', attempt: 1 }, { type: 'quorumReached', siteIds: ['a', 'b'] });
 * // → { kind: 'transition', round: { state: 'training', attempt: 1 }, effects: [persistRound, sendTrainingTasks, scheduleDeadline] }
 */
export class RoundMachine {
  constructor(private readonly policy: RoundPolicy) {}

  transition(round: RoundSnapshot, event: RoundEvent): Transition | IllegalTransition {
    const illegal: IllegalTransition = { kind: 'illegal', from: round.state, event: event.type };
    const to = (state: RoundState, effects: RoundEffect[], attempt = round.attempt): Transition => ({
      kind: 'transition',
      round: { state, attempt },
      effects: [PERSIST, ...effects],
    });
    if (round.state === 'completed' || round.state === 'failed') return illegal;
    if (event.type === 'abort') return to('failed', [{ type: 'roundFailed', reason: event.reason }]);

    switch (round.state) {
      case 'waiting':
        if (event.type === 'quorumReached') return this.startTraining(to, event.siteIds);
        if (event.type === 'deadlinePassed')
          return event.quorum ? illegal : this.retryOrAwaitLead(round, to, 'no quorum');
        if (event.type === 'resumed') return this.rearm(to);
        return illegal;
      case 'training':
        if (event.type === 'updateAccepted') return to('training', []);
        if (event.type === 'allUploaded') return to('aggregating', [{ type: 'aggregate' }]);
        if (event.type === 'deadlinePassed') {
          return event.quorum
            ? to('aggregating', [{ type: 'markStragglers' }, { type: 'aggregate' }])
            : this.retryOrAwaitLead(round, to, 'no quorum');
        }
        // A secure-aggregation session this coordinator lost (a restart): its masks cannot be removed.
        if (event.type === 'quorumLost') return this.retryOrAwaitLead(round, to, event.reason, true);
        return illegal;
      case 'aggregating':
        if (event.type === 'aggregationDone') {
          return to('evaluating', [
            { type: 'sendEvaluationTasks', modelVersion: event.modelVersion },
            { type: 'scheduleDeadline', seconds: this.policy.deadlineSeconds },
          ]);
        }
        if (event.type === 'aggregationFailed')
          return to('failed', [{ type: 'roundFailed', reason: event.reason }]);
        if (event.type === 'quorumLost') return this.retryOrAwaitLead(round, to, event.reason, true);
        return illegal;
      case 'evaluating':
        if (event.type === 'evaluationDone' || event.type === 'evaluationDeadlinePassed') {
          return to('completed', [{ type: 'roundCompleted' }]);
        }
        return illegal;
    }
  }

  private startTraining(to: (s: RoundState, e: RoundEffect[]) => Transition, siteIds: readonly string[]) {
    return to('training', [
      { type: 'sendTrainingTasks', siteIds },
      { type: 'scheduleDeadline', seconds: this.policy.deadlineSeconds },
    ]);
  }

  /**
   * Too few sites by the deadline, or too few updates kept by screening or a secure-aggregation
   * session lost in a restart (`reopen`: the round's
   * uploads are dropped so its sites train again): wait again for a quorum, up to `maxAttempts`
   * tries; then the round waits and the study waits for its lead (`awaitLead`: paused, with the
   * reason), who resumes or aborts it. A refused update never fails a study by itself.
   */
  private retryOrAwaitLead(
    round: RoundSnapshot,
    to: (s: RoundState, e: RoundEffect[], attempt?: number) => Transition,
    why: string,
    reopen = false,
  ): Transition {
    const reopened: RoundEffect[] = reopen ? [{ type: 'reopenRound' }] : [];
    if (round.attempt >= this.policy.maxAttempts) {
      const reason = `${why} after ${round.attempt} attempt(s)`;
      return to('waiting', [...reopened, { type: 'awaitLead', reason }]);
    }
    const attempt = round.attempt + 1;
    return to(
      'waiting',
      [
        ...reopened,
        { type: 'retryRound', attempt },
        { type: 'scheduleDeadline', seconds: this.policy.deadlineSeconds },
      ],
      attempt,
    );
  }

  /** The lead resumed a study that waited for it: the round's tries start again. */
  private rearm(to: (s: RoundState, e: RoundEffect[], attempt?: number) => Transition): Transition {
    return to(
      'waiting',
      [
        { type: 'retryRound', attempt: 1 },
        { type: 'scheduleDeadline', seconds: this.policy.deadlineSeconds },
      ],
      1,
    );
  }
}
