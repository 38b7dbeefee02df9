/**
 * Issue 13 (b): one site uses up a tensor's whole Σ n·max|δ| range (grid.ts: R = M·2²⁵) with a
 * single value of R / n. The old coordinator then refused every honest update of the round as
 * "diverged training?", retried without quorum and, after three attempts, failed the study. Now a
 * site's share of the range is bounded: the honest updates are accepted, the hostile one is
 * refused or screened out, and the study completes.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { decodeBlob, encodeBlob } from '@fedaln/protocol';
import { HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, globalOf, honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

/** log₂ of a tensor's range in units of its scale (grid.ts RANGE_LOG2). */
const RANGE_LOG2 = 25;
/** The hostile site's approved count: a power of two, so n · (R / n) is R exactly in float32. */
const HOG_CASES = 128;

describe('a site using up the numeric range (issue 13 b)', () => {
  const federationOf = useFederation('numeric-range');

  it('one value of R / n leaves the honest updates accepted and the study completes', async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hog = await federation.enrol('Range hog', { ...CASES, n_train: HOG_CASES });
    const hostile = await HostileSite.join(federation, 'Range hog', HELLO, hog);
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    // All three said hello, so all three are assigned; the two honest sites are a quorum.
    const deadlineS = federation.shortDeadlineS();
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id], {
      min_sites: 2,
      round_deadline_s: deadlineS,
    });

    const task = await hostile.task('train', 1);
    const global = await globalOf(hostile, task);
    // Each tensor's scale M is the least power of two ≥ max(1, max|g|); one value of R / n per tensor.
    const hogging = global.map((t) => {
      const values = new Float32Array(t.values.length);
      const maxAbs = t.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      values[0] = (2 ** Math.max(0, Math.ceil(Math.log2(maxAbs))) * 2 ** RANGE_LOG2) / HOG_CASES;
      return { ...t, values };
    });
    const hogAck = await hostile.upload(task, encodeBlob(hogging), HOG_CASES);
    if (!hogAck.ok) expect(hogAck).toMatchObject({ code: 'bad_values' });

    // The old coordinator refused these: "Σ n·max|δ| would exceed … diverged training?".
    await Promise.all(honest.map((s, i) => honestUpload(s, 1, 10 + i)));
    // A refused site stays assigned: the deadline closes the round with the honest quorum.
    const evaluate = await Promise.all(honest.map((s) => s.task('evaluate', 1, 4 * deadlineS * 1000)));
    const round = (await federation.api('GET', `/api/studies/${studyId}/rounds/1`)).json;
    const participants = round.participants as {
      site_id: string;
      state: string;
      screening: { verdict: string } | null;
    }[];
    const mine = participants.find((p) => p.site_id === hostile.enrolled.id)!;
    if (hogAck.ok) expect(mine.screening?.verdict).not.toBe('accepted');
    for (const s of enrolled) expect(participants.find((p) => p.site_id === s.id)?.state).toBe('uploaded');

    // The new global stays where honest updates (|δ| ≤ 5e-4) can take it.
    const next = decodeBlob(await honest[0]!.download(evaluate[0]!));
    let moved = 0;
    next.forEach((t, k) =>
      t.values.forEach((v, i) => (moved = Math.max(moved, Math.abs(v - global[k]!.values[i]!)))),
    );
    expect(moved).toBeLessThan(1e-2);

    await Promise.all(honest.map((s, i) => honestReport(s, evaluate[i]!, 20 + i)));
    if (mine.state === 'uploaded') await honestReport(hostile, 1, 22);
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
  });
});
