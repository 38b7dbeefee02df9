import { describe, expect, it } from '@jest/globals';
import {
  ROUND_EVENT_TYPES,
  ROUND_STATES,
  RoundMachine,
  type RoundEvent,
  type RoundEventType,
  type RoundState,
} from './round-machine';

const policy = Object.freeze({ deadlineSeconds: 600, maxAttempts: 3 });
const machine = new RoundMachine(policy);

const sample: Record<RoundEventType, RoundEvent> = {
  quorumReached: { type: 'quorumReached', siteIds: ['site-a', 'site-b'] },
  updateAccepted: { type: 'updateAccepted', siteId: 'site-a' },
  allUploaded: { type: 'allUploaded' },
  deadlinePassed: { type: 'deadlinePassed', quorum: true },
  aggregationDone: { type: 'aggregationDone', modelVersion: 1 },
  aggregationFailed: { type: 'aggregationFailed', reason: 'bad update' },
  quorumLost: { type: 'quorumLost', reason: 'screening kept 1 update(s), the study needs 2' },
  resumed: { type: 'resumed' },
  evaluationDone: { type: 'evaluationDone' },
  evaluationDeadlinePassed: { type: 'evaluationDeadlinePassed' },
  abort: { type: 'abort', reason: 'lead aborted' },
};

// The specification table, derived by hand from DESIGN.md "Rounds" (waiting → training →
// aggregating → evaluating → completed, or failed; terminal states accept nothing; abort fails any
// live round). `null` = IllegalTransition. Deadline rows use `quorum: true` here; the no-quorum case
// is covered separately below.
const expected: Record<RoundState, Record<RoundEventType, RoundState | null>> = {
  waiting: {
    quorumReached: 'training',
    updateAccepted: null,
    allUploaded: null,
    deadlinePassed: null, // with quorum, quorumReached would already have fired
    aggregationDone: null,
    aggregationFailed: null,
    quorumLost: null,
    resumed: 'waiting', // the lead resumed a study that waited for it

    evaluationDone: null,
    evaluationDeadlinePassed: null,
    abort: 'failed',
  },
  training: {
    quorumReached: null,
    updateAccepted: 'training',
    allUploaded: 'aggregating',
    deadlinePassed: 'aggregating',
    aggregationDone: null,
    aggregationFailed: null,
    quorumLost: 'waiting', // a secure-aggregation session lost in a restart: the round's sites train again
    resumed: null,
    evaluationDone: null,
    evaluationDeadlinePassed: null,
    abort: 'failed',
  },
  aggregating: {
    quorumReached: null,
    updateAccepted: null,
    allUploaded: null,
    deadlinePassed: null,
    aggregationDone: 'evaluating',
    aggregationFailed: 'failed',
    quorumLost: 'waiting', // screening kept too few updates: the round's sites train again
    resumed: null,
    evaluationDone: null,
    evaluationDeadlinePassed: null,
    abort: 'failed',
  },
  evaluating: {
    quorumReached: null,
    updateAccepted: null,
    allUploaded: null,
    deadlinePassed: null,
    aggregationDone: null,
    aggregationFailed: null,
    quorumLost: null,
    resumed: null,
    evaluationDone: 'completed',
    evaluationDeadlinePassed: 'completed',
    abort: 'failed',
  },
  completed: Object.fromEntries(ROUND_EVENT_TYPES.map((e) => [e, null])) as Record<RoundEventType, null>,
  failed: Object.fromEntries(ROUND_EVENT_TYPES.map((e) => [e, null])) as Record<RoundEventType, null>,
};

describe('RoundMachine: every state × every event', () => {
  const cases = ROUND_STATES.flatMap((state) => ROUND_EVENT_TYPES.map((event) => [state, event] as const));
  it('covers all 6 × 11 pairs', () => {
    expect(cases).toHaveLength(66);
  });
  it.each(cases)('%s + %s', (state, event) => {
    const result = machine.transition({ state, attempt: 1 }, sample[event]);
    const want = expected[state][event];
    if (want === null) {
      expect(result).toEqual({ kind: 'illegal', from: state, event });
    } else {
      expect(result.kind).toBe('transition');
      if (result.kind === 'transition') {
        expect(result.round.state).toBe(want);
        // DESIGN.md: "each transition persisted before it takes effect".
        expect(result.effects[0]).toEqual({ type: 'persistRound' });
      }
    }
  });
});

describe('RoundMachine effects', () => {
  it('quorum sends training tasks to exactly the quorum and schedules the study deadline', () => {
    const t = machine.transition({ state: 'waiting', attempt: 1 }, sample.quorumReached);
    expect(t).toEqual({
      kind: 'transition',
      round: { state: 'training', attempt: 1 },
      effects: [
        { type: 'persistRound' },
        { type: 'sendTrainingTasks', siteIds: ['site-a', 'site-b'] },
        { type: 'scheduleDeadline', seconds: 600 },
      ],
    });
  });

  it('a deadline with quorum marks stragglers before aggregating', () => {
    const t = machine.transition({ state: 'training', attempt: 1 }, sample.deadlinePassed);
    expect(t.kind === 'transition' && t.effects.map((e) => e.type)).toEqual([
      'persistRound',
      'markStragglers',
      'aggregate',
    ]);
  });

  it.each(['waiting', 'training'] as const)(
    'a deadline without quorum in %s retries with attempt + 1 until maxAttempts, then waits for the lead',
    (state) => {
      const noQuorum: RoundEvent = { type: 'deadlinePassed', quorum: false };
      const retry = machine.transition({ state, attempt: 2 }, noQuorum);
      expect(retry).toEqual({
        kind: 'transition',
        round: { state: 'waiting', attempt: 3 },
        effects: [
          { type: 'persistRound' },
          { type: 'retryRound', attempt: 3 },
          { type: 'scheduleDeadline', seconds: 600 },
        ],
      });
      const wait = machine.transition({ state, attempt: 3 }, noQuorum);
      expect(wait).toEqual({
        kind: 'transition',
        round: { state: 'waiting', attempt: 3 },
        effects: [{ type: 'persistRound' }, { type: 'awaitLead', reason: 'no quorum after 3 attempt(s)' }],
      });
    },
  );

  it('a secure-aggregation session lost while training reopens the round and retries', () => {
    const lost: RoundEvent = { type: 'quorumLost', reason: 'the secure-aggregation session was lost' };
    const retry = machine.transition({ state: 'training', attempt: 1 }, lost);
    expect(retry.kind === 'transition' && [retry.round, retry.effects.map((e) => e.type)]).toEqual([
      { state: 'waiting', attempt: 2 },
      ['persistRound', 'reopenRound', 'retryRound', 'scheduleDeadline'],
    ]);
  });

  it('quorum lost to screening reopens the round (uploads dropped) and retries, then waits for the lead', () => {
    const retry = machine.transition({ state: 'aggregating', attempt: 1 }, sample.quorumLost);
    expect(retry.kind === 'transition' && [retry.round, retry.effects.map((e) => e.type)]).toEqual([
      { state: 'waiting', attempt: 2 },
      ['persistRound', 'reopenRound', 'retryRound', 'scheduleDeadline'],
    ]);
    const wait = machine.transition({ state: 'aggregating', attempt: 3 }, sample.quorumLost);
    expect(wait.kind === 'transition' && wait.effects).toEqual([
      { type: 'persistRound' },
      { type: 'reopenRound' },
      { type: 'awaitLead', reason: 'screening kept 1 update(s), the study needs 2 after 3 attempt(s)' },
    ]);
  });

  it('resumed re-arms a waiting round: attempt 1, a new deadline, a quorum check', () => {
    const t = machine.transition({ state: 'waiting', attempt: 3 }, sample.resumed);
    expect(t).toEqual({
      kind: 'transition',
      round: { state: 'waiting', attempt: 1 },
      effects: [
        { type: 'persistRound' },
        { type: 'retryRound', attempt: 1 },
        { type: 'scheduleDeadline', seconds: 600 },
      ],
    });
  });

  it('aggregation done sends evaluation tasks for the new model version', () => {
    const t = machine.transition(
      { state: 'aggregating', attempt: 1 },
      { type: 'aggregationDone', modelVersion: 4 },
    );
    expect(t.kind === 'transition' && t.effects[1]).toEqual({ type: 'sendEvaluationTasks', modelVersion: 4 });
  });

  it('abort carries its reason', () => {
    const t = machine.transition({ state: 'evaluating', attempt: 1 }, sample.abort);
    expect(t.kind === 'transition' && t.effects[1]).toEqual({ type: 'roundFailed', reason: 'lead aborted' });
  });
});
