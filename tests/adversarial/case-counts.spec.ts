/**
 * Issue 13 (a): a site declares n_train = 2²⁴ with δ = 0.5 everywhere. The old coordinator took
 * the declared count as the site's weight, and the new global moved by 0.499997 where a fair mean
 * of the sites' approved counts moves by about a third of that. Now an upload claiming more cases
 * than the lead approved is refused with the reason, and whatever the site then sends counts with
 * at most its approved weight: the global moves no further than the fair mean would.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { decodeBlob, encodeBlob, type TaskPayload } from '@fedaln/protocol';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, globalOf, honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const INFLATED = 2 ** 24;
const DELTA = 0.5;

describe('a site inflating its case count (issue 13 a)', () => {
  const federationOf = useFederation('case-counts');

  it('n_train = 2^24 is refused; the new global moves no further than the fair mean of approved counts', async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Inflating', { ...HELLO, n_train: INFLATED });
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    // All three have said hello, so all three are assigned; two are a quorum whatever screening decides.
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id], {
      min_sites: 2,
    });

    const task = await hostile.task('train', 1);
    const global = await globalOf(hostile, task);
    const push = encodeBlob(
      global.map((t) => ({ ...t, values: new Float32Array(t.values.length).fill(DELTA) })),
    );
    const inflated = await hostile.uploadBegin(task, push, INFLATED);
    expect(inflated).toMatchObject({
      ok: false,
      code: 'forbidden',
      message: expect.stringContaining(`${CASES.n_train}`),
    });
    // The hostile site then sends the same push with the count it was approved for.
    expectOk(await hostile.upload(task, push, CASES.n_train));
    await Promise.all(honest.map((s, i) => honestUpload(s, 1, 10 + i)));

    const evaluate = await Promise.all(honest.map((s) => s.task('evaluate', 1)));
    const next = decodeBlob(await honest[0]!.download(evaluate[0]!));
    // The fair mean moves each weight by (100·0.5 + 100·δA + 100·δB) / 300, |δA|, |δB| ≤ 5e-4.
    const fair = (CASES.n_train * DELTA + 2 * CASES.n_train * 5e-4) / (3 * CASES.n_train);
    let moved = 0;
    next.forEach((t, k) =>
      t.values.forEach((v, i) => (moved = Math.max(moved, Math.abs(v - global[k]!.values[i]!)))),
    );
    expect(moved).toBeLessThanOrEqual(fair + 1e-6);
    const round = await federation.api('GET', `/api/studies/${studyId}/rounds/1`);
    const participants = round.json.participants as {
      site_id: string;
      state: string;
      n_train: number | null;
    }[];
    expect(participants.find((p) => p.site_id === hostile.enrolled.id)?.n_train).toBe(CASES.n_train);

    const reporters: [ScriptedSite, number | TaskPayload][] = honest.map((s, i) => [s, evaluate[i]!]);
    // A site whose update the round counted evaluates too (its report is honest here).
    if (participants.find((p) => p.site_id === hostile.enrolled.id)?.state === 'uploaded')
      reporters.push([hostile, 1]);
    await Promise.all(reporters.map(([s, t], i) => honestReport(s, t, 20 + i)));
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
  });
});
