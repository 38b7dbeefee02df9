import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  changeOf,
  inMemoryCoordinator,
  seedRound,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { Round } from '../domain/records';
import { RoundTimers } from './round-timers';
import { MAX_ROUND_ATTEMPTS } from './rounds.service';

/** The spec's round deadline (`round_deadline_s`), short enough to step through by hand. */
const DEADLINE_S = 60;
/** Well past any slack the timers aim with, and well before the next deadline. */
const LATE_MS = 1000;

describe('RoundTimers', () => {
  let c: InMemoryCoordinator;
  let timers: RoundTimers;
  let fired: jest.SpiedFunction<InMemoryCoordinator['service']['deadlinePassed']>;

  beforeEach(() => {
    // Fake timers fake Date too, so the service's "now" is the timers' clock.
    jest.useFakeTimers({ now: new Date('2026-12-01T09:00:00Z') });
    c = inMemoryCoordinator();
    timers = new RoundTimers(c.service, c.log);
    fired = jest.spyOn(c.service, 'deadlinePassed');
  });
  afterEach(() => {
    timers.stop();
    jest.useRealTimers();
  });

  const seed = (state: Round['state'], participants = {}) =>
    seedRound(c, {
      sites: ['a', 'b'],
      state,
      spec: { round_deadline_s: DEADLINE_S, min_sites: 1 },
      participants,
    });
  const arm = (s: Awaited<ReturnType<typeof seed>>) =>
    timers.onChange(changeOf(s.study, s.round, [{ type: 'scheduleDeadline', seconds: DEADLINE_S }]));
  /** Moves the clock to `deadline + offsetMs`, running the timers and the promises they start. */
  const advanceTo = async (deadline: Date | null, offsetMs: number) =>
    jest.advanceTimersByTimeAsync((deadline as Date).getTime() + offsetMs - Date.now());
  const current = async (s: Awaited<ReturnType<typeof seed>>) =>
    (await c.rounds.find(s.study.id, s.round.number)) as Round;

  it('tells the service once, at the deadline', async () => {
    // Site a uploaded, b did not: at the deadline the round has its quorum of 1 and aggregates.
    const s = await seed('training', { a: 'uploaded', b: 'assigned' });
    arm(s);
    await advanceTo(s.round.deadline, -1);
    expect(fired).not.toHaveBeenCalled();
    await advanceTo(s.round.deadline, LATE_MS);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(fired).toHaveBeenCalledWith(s.study.id, s.round.number);
    expect((await current(s)).state).toBe('aggregating'); // no longer open: not re-armed
    await jest.advanceTimersByTimeAsync(10 * DEADLINE_S * 1000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('re-arms itself while the round stays open with a later deadline, until it waits for the lead', async () => {
    // No site present: each deadline retries the round with a new deadline, up to
    // MAX_ROUND_ATTEMPTS tries; after the last the round waits, with no deadline, for the lead
    // (RoundMachine.retryOrAwaitLead) and the study is paused.
    const s = await seed('waiting');
    arm(s);
    for (let attempt = 1; attempt <= MAX_ROUND_ATTEMPTS; attempt++) {
      const round = await current(s);
      expect(round).toMatchObject({ state: 'waiting', attempt });
      await advanceTo(round.deadline, -1);
      expect(fired).toHaveBeenCalledTimes(attempt - 1);
      await advanceTo(round.deadline, LATE_MS);
      expect(fired).toHaveBeenCalledTimes(attempt);
    }
    expect(await current(s)).toMatchObject({ state: 'waiting', attempt: MAX_ROUND_ATTEMPTS, deadline: null });
    await jest.advanceTimersByTimeAsync(10 * DEADLINE_S * 1000);
    expect(fired).toHaveBeenCalledTimes(MAX_ROUND_ATTEMPTS);
  });

  it.each(['completed', 'failed'] as const)('disarms when the round is %s', async (state) => {
    const s = await seed('evaluating', { a: 'uploaded' });
    arm(s);
    timers.onChange(changeOf(s.study, { ...s.round, state }, [], { from: 'evaluating' }));
    await advanceTo(s.round.deadline, 10 * DEADLINE_S * 1000);
    expect(fired).not.toHaveBeenCalled();
  });

  it('arming again replaces the timer: one call, at the later deadline', async () => {
    const s = await seed('evaluating', { a: 'uploaded' });
    arm(s);
    const later = new Date((s.round.deadline as Date).getTime() + DEADLINE_S * 1000);
    const moved = await c.rounds.update(s.round.id, { deadline: later });
    timers.arm(moved);
    await advanceTo(s.round.deadline, LATE_MS);
    expect(fired).not.toHaveBeenCalled();
    await advanceTo(later, LATE_MS);
    expect(fired).toHaveBeenCalledTimes(1);
    expect((await current(s)).state).toBe('completed'); // evaluation deadline: the round completes
  });

  it('stop() clears every timer', async () => {
    const s = await seed('training', { a: 'assigned' });
    arm(s);
    timers.stop();
    await advanceTo(s.round.deadline, LATE_MS);
    expect(fired).not.toHaveBeenCalled();
  });

  it('logs a deadline the service could not handle, naming the round', async () => {
    const s = await seed('training', { a: 'assigned' });
    const orphan: Round = { ...s.round, id: 'round-of-nothing', studyId: 'no-such-study' };
    timers.arm(orphan);
    await advanceTo(orphan.deadline, LATE_MS);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(c.log.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        obj: { err: expect.objectContaining({ code: 'STUDY_NOT_FOUND' }), roundId: 'round-of-nothing' },
        msg: 'deadline handling failed',
      },
    ]);
  });
});
