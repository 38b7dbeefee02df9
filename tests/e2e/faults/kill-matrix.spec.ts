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
 * - A site, SIGKILLed mid-download, mid-training, mid-upload and mid-evaluation (before its report),
 *   each time restarted on the same work dir, on one more two-round study. Site 1 reaches the
 *   coordinator through the fault proxy capped at 64 KB/s, on a fresh work dir (no cached v0), so a
 *   0.2 MB download or upload lasts seconds and the proxy's byte count says one is under way. Each row
 *   checks that the stage had not finished when the kill landed; the study must end on the reference's
 *   models bit for bit: a site's update is a function of (global model, its data, its seed, round),
 *   whether or not its process was restarted.
 *
 * An earlier attempt at the site rows (not kept) ended on a v1 other than the reference's; its cause was
 * not found, and it did not reproduce (2026-12-05): these rows give the reference's models and the
 * reference's update sha256 for both sites in both rounds in every run, after the coordinator rows or
 * alone, with 1- or 2-round studies, with a validation split of 0.2, on the code of fdd4524 (when that
 * result was recorded) as on this one, and with a fresh work dir at every restart (the process after the
 * mid-upload kill then trains again and sends the same bytes). One training of the same task in two
 * fresh processes, with and without the engine warm-up, gives the same delta sha256 (wasm, SIMD, one
 * thread). The mid-training row's margin is the training itself (0.2-1 s for densenet-tiny here): the
 * `trained` check makes a late kill fail the row rather than pass it unnoticed.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CRASH_POINTS } from '../../../apps/coordinator/src/config/crash-point';
import { crashLine } from '../support/coordinator';
import { FaultProxy } from '../support/fault-proxy';
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

describe('a site SIGKILLed, then restarted on its work dir', () => {
  let proxy: FaultProxy;
  let studyId = '';
  let uploadsBefore = 0;
  /** Every process that ran as site 1 here, in order (the last one is `sites[0]`). */
  const incarnations: SiteProcess[] = [];
  const site1 = () => sites[0]!;
  const restartSite1 = () => {
    sites[0] = fed.runSite(1, proxy.url, {
      workDir: 'site1-killed',
      name: `site1 #${incarnations.length + 1}`,
    });
    incarnations.push(sites[0]);
  };

  beforeAll(async () => {
    // 64 KB/s: the 0.2 MB model or update takes seconds to pass, so the proxy's byte count says one is
    // under way and the kill lands before it ends. A fresh work dir: no cached v0, so v0 is downloaded.
    proxy = await FaultProxy.start(fed.coordinator.port, { seed: 18, bytesPerSecond: 64 * 1024 });
    await site1().proc.kill('SIGTERM');
    restartSite1();
    await site1().proc.waitForOutput(/connected to http/, 180_000);
    uploadsBefore = await fed.uploadsAccepted();
  }, 300_000);
  afterAll(async () => {
    incarnations.forEach((s, i) =>
      fs.writeFileSync(path.join(fed.dir, `site1-killed-${i + 1}.log`), s.err()),
    );
    await proxy?.close();
  });

  /** Each row: what it waits for (the stage under way), then what must not have happened yet. */
  const ROWS: [string, () => Promise<void>, RegExp][] = [
    ['mid-download', () => proxy.whenPasses('down', 32 * 1024, 'none'), /round 1: training/],
    ['mid-training', () => site1().proc.waitForOutput(/round 1: training/, 300_000), /round 1: trained/],
    // Hello, acks and progress events are a few KB; more than 64 KB going up is the update.
    ['mid-upload', () => proxy.whenPasses('up', 64 * 1024, 'none'), /round 1: update uploaded/],
    [
      'mid-evaluation, before its report',
      () => site1().proc.waitForOutput(/evaluate task, study \S+ round 1 .*: started/, 300_000),
      /round 1: evaluated/,
    ],
  ];

  it.each(ROWS)('%s', async (_, stage, notYet) => {
    const underWay = stage();
    if (!studyId) studyId = await fed.startStudy(ROUNDS);
    await underWay;
    await site1().proc.kill('SIGKILL');
    expect(await site1().proc.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(site1().err()).not.toMatch(notYet);
    restartSite1();
  });

  it('recovers to the reference models, each update counted once', async () => {
    await fed.completed(studyId, () => sites);
    expect(await modelsOf(studyId)).toEqual(reference);
    expect(await roundsOf(studyId)).toEqual(CLEAN_ROUNDS);
    expect((await fed.uploadsAccepted()) - uploadsBefore).toBe(2 * ROUNDS);
    // The process after the mid-upload kill sent the update the killed one had saved, not a new one.
    expect(incarnations[3]!.err()).toMatch(/round 1: resuming the saved upload/);
    expect(incarnations[4]!.err()).toMatch(/round 1: evaluated v1 on 8 test cases/);
  });
});
