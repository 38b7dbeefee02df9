import { writeSync } from 'node:fs';

/**
 * Test hook, `FEDALN_CRASH_AT=<point>`: the coordinator SIGKILLs itself the first time it reaches
 * the named point, so the kill-matrix e2e (tests/e2e/faults/kill-matrix.spec.ts) can crash it at
 * every persisted round transition and at each write boundary of aggregation and release, and
 * check that a restart recovers the same global model. Unset (always, outside that test), every
 * `crashPoint` call is one comparison and nothing else.
 *
 * The points, in the order a round passes them:
 * - `round:<event>`: just after the transaction of that round-machine step committed, before
 *   anything acts on it (`round:opened` for a round just created);
 * - `aggregation:started`: the aggregation began, nothing written;
 * - `aggregation:model-synced`: the new global model is a complete, fsynced temporary file, not yet
 *   renamed into the blob store;
 * - `aggregation:model-stored`: it is in the blob store, its model version not yet committed;
 * - `release:built`: the signed release record is built, not yet committed;
 * - `release:committed`: the release and its audit entry are committed, the lead not yet answered.
 */
export const CRASH_POINTS = [
  'round:opened',
  'round:quorumReached',
  'round:updateAccepted',
  'round:allUploaded',
  'aggregation:started',
  'aggregation:model-synced',
  'aggregation:model-stored',
  'round:aggregationDone',
  'round:evaluationDone',
  'release:built',
  'release:committed',
] as const;

/**
 * The post-training phase's points (issue 15), apart from the round matrix above (a study reaches
 * them once, after its last round): `nomogram:started`, the phase began and nothing is fitted;
 * `nomogram:stored`, the nomogram is stored and the comparison not yet made.
 */
export const POST_TRAINING_CRASH_POINTS = ['nomogram:started', 'nomogram:stored'] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof POST_TRAINING_CRASH_POINTS)[number];

const ALL_POINTS: readonly CrashPoint[] = [...CRASH_POINTS, ...POST_TRAINING_CRASH_POINTS];

let armed: string | null = null;

/** Arms the hook (at boot, from the validated config); null disarms it. */
export function armCrashPoint(point: CrashPoint | null): void {
  armed = point;
}

/**
 * SIGKILLs this process if `point` is the armed one, after a synchronous log line naming it (so the
 * test can tell the crash was there). The hook disarms itself first: one crash per process.
 */
export function crashPoint(point: string): void {
  if (armed === null || armed !== point) return;
  armed = null;
  writeSync(1, `${JSON.stringify({ level: 60, msg: 'crash point reached: SIGKILL', point })}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** `FEDALN_CRASH_AT` validated: unset or empty is null; anything else must name a point. */
export function parseCrashPoint(
  raw: string | undefined,
  fail: (name: string, value: string, expected: string) => Error,
): CrashPoint | null {
  if (raw === undefined || raw === '') return null;
  const point = ALL_POINTS.find((p) => p === raw);
  if (!point) throw fail('FEDALN_CRASH_AT', raw, `unset (a test hook), or one of ${ALL_POINTS.join(', ')}`);
  return point;
}
