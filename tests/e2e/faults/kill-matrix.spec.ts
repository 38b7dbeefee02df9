/**
 * Issue 18, kill matrix: processes SIGKILLed at every step that persists something, each restarted,
 * and the study still ends on the same global model, bit for bit, as an uninterrupted run of the same
 * study (same phantom data, same seeds: the site client's training is seeded and the coordinator's
 * sum is order-independent, so the reference is reproducible).
 *
 * - The coordinator, through the crash-point test hook (`FEDALN_CRASH_AT`,
 *   apps/coordinator/src/config/crash-point.ts), at every persisted round transition, at each write
 *   boundary of the aggregation and of a release. The rows run in the order a round passes those
 *   points, on ONE study: each row restarts the crashed coordinator armed at the next point, so every
 *   row also proves that the previous crash was recovered from (the study got as far as the next
 *   point). One study instead of one per row keeps the matrix to a few minutes on 2 busy cores.
 * - A site, SIGKILLed mid-download, mid-training, mid-upload and mid-evaluation (before its report),
 *   and started again on the same work dir, again on one study. Site 1 reaches the coordinator through
 *   the fault proxy capped at 64 KB/s, so a 0.2 MB download or upload lasts seconds and the proxy's
 *   byte counts tell that one is under way.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CRASH_POINTS } from '../../../apps/coordinator/src/config/crash-point';
import { FaultProxy } from '../support/fault-proxy';
import type { SiteProcess } from '../support/site-process';
import { SmallFederation } from './small-federation';

jest.setTimeout(400_000);

let fed: SmallFederation;
let sites: SiteProcess[] = [];
/** sha256 of model v1 of the uninterrupted study. */
let reference = '';

beforeAll(async () => {
  fed = await SmallFederation.create('kill');
  sites = [fed.runSite(1), fed.runSite(2)];
}, 300_000);

afterAll(async () => {
  await Promise.all(sites.map((s) => s.proc.kill('SIGTERM')));
  fed?.keepLogs(sites);
  await fed?.coordinator.kill('SIGTERM');
});

/** The study's single release, if any. */
async function releasesOf(studyId: string) {
  const r = await fed.api('GET', `/api/studies/${studyId}/releases`);
  return (r.json as unknown as { weights_sha256: string; round: number }[]) ?? [];
}

const release = (studyId: string) =>
  fed.api('POST', `/api/studies/${studyId}/releases`, {
    round: 1,
    override_reason: 'kill-matrix e2e: phantom data, the policy verdict is not the point',
  });

it('reference: an uninterrupted one-round study', async () => {
  const studyId = await fed.startStudy();
  await fed.completed(studyId, () => sites);
  reference = (await fed.model(studyId, 1)).sha256;
  expect(reference).not.toBe((await fed.model(studyId, 0)).sha256);
});

describe('the coordinator SIGKILLed, then restarted', () => {
  let studyId = '';

  it.each(CRASH_POINTS.map((point) => [point]))('at %s', async (point) => {
    expect(reference).not.toBe('');
    // Down from the previous row's crash, or (first row) still up from the reference run.
    await fed.coordinator.kill('SIGTERM');
    await fed.coordinator.start(180_000, { FEDALN_CRASH_AT: point });
    const proc = fed.coordinator.process!;
    if (point === 'round:opened') {
      const created = await fed.api('POST', '/api/studies', fed.studySpec());
      studyId = String(created.json.id);
      // The crash answers this request with a dropped connection.
      await fed.api('POST', `/api/studies/${studyId}/start`).catch(() => null);
    }
    if (point.startsWith('release:')) {
      await fed.completed(studyId);
      await release(studyId).catch(() => null);
    }
    await proc.waitForOutput(`"point":"${point}"`, 300_000, 'out');
    expect(await proc.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('recovers to the reference model, released once', async () => {
    await fed.coordinator.start(180_000);
    await fed.completed(studyId, () => sites);
    expect((await fed.model(studyId, 1)).sha256).toBe(reference);
    // The release of the last row was committed before the crash: asking again is refused.
    expect((await release(studyId)).status).toBe(409);
    const released = await releasesOf(studyId);
    expect(released.map((r) => [r.round, r.weights_sha256])).toEqual([[1, reference]]);
    const outcome = await fed.roundOutcome(studyId);
    expect(outcome.participants.map((p) => p[1])).toEqual(['uploaded', 'uploaded']);
  });
});

describe('a site SIGKILLed, then started again on its work dir', () => {
  let proxy: FaultProxy;
  let studyId = '';

  beforeAll(async () => {
    proxy = await FaultProxy.start(fed.coordinator.port, { seed: 18, bytesPerSecond: 64 * 1024 });
    await sites[0]!.proc.kill('SIGTERM');
    sites[0] = fed.runSite(1, proxy.url);
  });
  afterAll(() => proxy?.close());

  const killAndRestart = async () => {
    await sites[0]!.proc.kill('SIGKILL');
    sites[0] = fed.runSite(1, proxy.url);
  };

  it('mid-download', async () => {
    // More than 32 KB coming down on one connection: the model (0.2 MB) is on its way.
    const downloading = proxy.whenPasses('down', 32 * 1024, 'none');
    studyId = await fed.startStudy();
    await downloading;
    expect(sites[0]!.err()).not.toMatch(/round 1: training/);
    await killAndRestart();
  });

  it('mid-training', async () => {
    await sites[0]!.proc.waitForOutput(/round 1: training/, 300_000);
    expect(sites[0]!.err()).not.toMatch(/round 1: trained/);
    await killAndRestart();
  });

  it('mid-upload', async () => {
    // Hello, acks and progress are a few KB; more than 64 KB going up is the update.
    await proxy.whenPasses('up', 64 * 1024, 'none');
    expect(sites[0]!.err()).not.toMatch(/round 1: update uploaded/);
    await killAndRestart();
  });

  it('mid-evaluation, before its report', async () => {
    await sites[0]!.proc.waitForOutput(/evaluate task, study \S+ round 1 .*: started/, 300_000);
    expect(sites[0]!.err()).not.toMatch(/round 1: evaluated/);
    await killAndRestart();
  });

  it('recovers to the reference model', async () => {
    await fed.completed(studyId, () => sites);
    expect((await fed.model(studyId, 1)).sha256).toBe(reference);
    expect(sites[0]!.err()).toMatch(/round 1: evaluated v1 on 8 test cases/);
    const outcome = await fed.roundOutcome(studyId);
    expect(outcome.participants.map((p) => p[1])).toEqual(['uploaded', 'uploaded']);
    expect(outcome.fedAvgError).toBeLessThanOrEqual(1);
  });
});
