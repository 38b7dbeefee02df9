/**
 * Issue 18, kill matrix: processes SIGKILLed at every step that persists something, each restarted,
 * and the study still ends on the same global models, bit for bit, as an uninterrupted run of the
 * same two-round study (same phantom data, same seeds: the site client's training is seeded and the
 * coordinator's sum is order-independent, so the reference is reproducible). The reference is run
 * once, first.
 *
 * - The coordinator, through the crash-point test hook (`FEDALN_CRASH_AT`,
 *   apps/coordinator/src/config/crash-point.ts), at every persisted round transition and at each
 *   write boundary of the aggregation and of a release. The rows run in the order a round passes
 *   those points, on ONE study: each row restarts the crashed coordinator armed at the next point,
 *   so every row also proves that the previous crash was recovered from (the study got as far as the
 *   next point). A point the boot's own recovery reaches (an aggregation it restarts) fires before
 *   the server listens: `startArmed` waits for the crash or the "listening" line. The crash between
 *   the aggregated model's fsync and its rename leaves a `.incoming.*.tmp` in the blob store; the
 *   next boot removes it. One study for all rows keeps the matrix to a few minutes on 2 busy cores.
 *
 * Not here yet: sites SIGKILLed mid-download/training/upload/evaluation. A first run of those rows
 * (site 1 behind the fault proxy at 64 KB/s on a fresh work dir, killed and restarted at each stage)
 * completed the study, but its v1 was NOT the reference's: the restarted site's round-1 update
 * differed from an uninterrupted site's. Until that is explained (and fixed, if the site client is at
 * fault), those rows would fail.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRASH_POINTS } from '../../../apps/coordinator/src/config/crash-point';
import { crashLine } from '../support/coordinator';
import type { SiteProcess } from '../support/site-process';
import { SmallFederation } from './small-federation';

jest.setTimeout(300_000);

const ROUNDS = 2;
let fed: SmallFederation;
let sites: SiteProcess[] = [];
/** sha256 of the global models v0..v2 of the uninterrupted study. */
let reference: string[] = [];

beforeAll(async () => {
  fed = await SmallFederation.create('kill');
  sites = [fed.runSite(1), fed.runSite(2)];
}, 300_000);

afterAll(async () => {
  await Promise.all(sites.map((s) => s.proc.kill('SIGTERM')));
  fed?.keepLogs(sites);
  await fed?.coordinator.kill('SIGTERM');
});

/** sha256 of every global model of the study, v0..v{ROUNDS}. */
const modelsOf = (studyId: string) =>
  Promise.all(Array.from({ length: ROUNDS + 1 }, async (_, v) => (await fed.model(studyId, v)).sha256));

/** Temporary files anywhere in the coordinator's blob store. */
function blobTemporaries(): string[] {
  const root = path.join(fed.coordinator.dataDir, 'blobs');
  return fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.tmp'))
    .map((f) => path.join(root, f));
}

const release = (studyId: string) =>
  fed.api('POST', `/api/studies/${studyId}/releases`, {
    round: ROUNDS,
    override_reason: 'kill-matrix e2e: phantom data, the policy verdict is not the point',
  });

/**
 * Each round of the study: its state and its participants' states (read over REST: the updates of a
 * round that is over are gone from the blob store by its retention rule, so FedAvg of them is not
 * recomputed here; the models equal to the reference's, bit for bit, say more).
 */
async function roundsOf(studyId: string) {
  const outcomes = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const { json } = await fed.api('GET', `/api/studies/${studyId}/rounds/${r}`);
    const participants = (json.participants as { state: string }[]).map((p) => p.state);
    outcomes.push({ state: json.state, participants });
  }
  return outcomes;
}
const CLEAN_ROUNDS = Array.from({ length: ROUNDS }, () => ({
  state: 'completed',
  participants: ['uploaded', 'uploaded'],
}));

it('reference: an uninterrupted two-round study', async () => {
  const studyId = await fed.startStudy(ROUNDS);
  await fed.completed(studyId, () => sites);
  reference = await modelsOf(studyId);
  expect(new Set(reference).size).toBe(ROUNDS + 1); // each round moved the model
  expect(await roundsOf(studyId)).toEqual(CLEAN_ROUNDS);
});

describe('the coordinator SIGKILLed, then restarted', () => {
  let studyId = '';
  /** What the crash at aggregation:model-synced left in the blob store. */
  let orphans: string[] = [];

  it.each(CRASH_POINTS.map((point) => [point]))('at %s', async (point) => {
    expect(reference).toHaveLength(ROUNDS + 1);
    // Down from the previous row's crash, or (first row) still up from the reference run.
    await fed.coordinator.kill('SIGTERM');
    const booted = await fed.coordinator.startArmed(point);
    const proc = fed.coordinator.process!;
    // Each crashed process's log, beside the data, for a failed run's post-mortem.
    void proc.exit.then(() =>
      fs.writeFileSync(path.join(fed.dir, `coordinator-${point.replace(':', '-')}.log`), proc.out()),
    );
    if (booted === 'listening' && point === 'round:opened') {
      studyId = await fed.createStudy(ROUNDS);
      // The crash answers this request with a dropped connection.
      await fed.api('POST', `/api/studies/${studyId}/start`).catch(() => null);
    }
    if (booted === 'listening' && point.startsWith('release:')) {
      await fed.completed(studyId, () => sites);
      await release(studyId).catch(() => null);
    }
    await proc.waitForOutput(crashLine(point), 300_000, 'out');
    expect(await proc.exit).toEqual({ code: null, signal: 'SIGKILL' });
    if (point === 'aggregation:model-synced') {
      orphans = blobTemporaries();
      expect(orphans.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^\.incoming\.\w+\.tmp$/)]);
    }
    // The boot after that crash removed what it left.
    if (point === 'aggregation:model-stored') expect(orphans.filter((f) => fs.existsSync(f))).toEqual([]);
  });

  it('recovers to the reference models, released once, nothing left in the blob store', async () => {
    await fed.coordinator.start(180_000);
    await fed.completed(studyId, () => sites);
    expect(await modelsOf(studyId)).toEqual(reference);
    // The release of the last row was committed before the crash: asking again is refused.
    expect((await release(studyId)).status).toBe(409);
    const r = await fed.api('GET', `/api/studies/${studyId}/releases`);
    const released = r.json as unknown as { round: number; weights_sha256: string }[];
    expect(released.map((x) => [x.round, x.weights_sha256])).toEqual([[ROUNDS, reference[ROUNDS]]]);
    expect(await roundsOf(studyId)).toEqual(CLEAN_ROUNDS);
    expect(orphans).not.toEqual([]);
    expect(blobTemporaries()).toEqual([]);
  });
});
