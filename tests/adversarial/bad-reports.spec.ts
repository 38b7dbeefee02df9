/**
 * Issue 13 (c): one `metrics:report` with a one-point threshold grid (reports were type-checked only,
 * summaries `@Allow`, n = 1e9 accepted) left the round without a verdict, and its metrics route and
 * `POST /releases` answered 500 for ever. Now each bad report is refused with its reason and
 * audit-logged; the honest sites' round gets its verdict and can be released.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { SiteEvent, type SiteMetricsReport } from '@fedaln/protocol';
import { reportOf, syntheticPredictions } from '../e2e/support/release-study';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

/** What the hostile site's evaluation would honestly report (CASES.n_test cases). */
const p = syntheticPredictions(7, CASES.n_test, 1.6);
const HONEST: SiteMetricsReport = reportOf(p.labels, p.scores);

describe('bad metrics reports (issue 13 c)', () => {
  const federation = useFederation('bad-reports');

  it('each is refused with its reason; the round gets its verdict and its model can be released', async () => {
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation().enrol(n)));
    const hostile = await HostileSite.join(federation(), 'Hostile', null);
    const studyId = await federation().startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation().coordinator.baseUrl, s.token)),
    );
    expectOk(await hostile.send(SiteEvent.hello, HELLO));
    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, 1, 50 + i)));
    const task = await hostile.task('evaluate', 1);
    const send = (report: unknown) => hostile.sendReport(task, report);

    const refusals: [string, unknown, RegExp][] = [
      [
        'a one-point grid',
        { ...HONEST, threshold_counts: { thresholds: [0.5], tp: [10], fp: [0] } },
        /^metrics report refused: report\.threshold_counts\.thresholds(\[0\] is 0\.5; expected| has 1 values; expected the)/,
      ],
      ['n = 1e9', { ...HONEST, n: 1e9 }, /n must not be greater than 16777216/],
      ['an AUC of 1.7', { ...HONEST, auc: 1.7 }, /auc must not be greater than 1/],
      [
        'inflated counts (twice its approved test cases)',
        reportOf([...p.labels, ...p.labels], [...p.scores, ...p.scores]),
        /^metrics report refused: report\.n is 50; expected the 25 test cases approved for this site; ask the lead/,
      ],
    ];
    for (const [what, report, message] of refusals) {
      const ack = await send(report);
      expect([what, ack]).toEqual([
        what,
        { ok: false, code: 'bad_request', message: expect.stringMatching(message) },
      ]);
    }
    await Promise.all(honest.map((s, i) => honestReport(s, 1, 60 + i)));
    expectOk(await send(HONEST));
    const study = await federation().waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');

    const metrics = await federation().api('GET', `/api/studies/${studyId}/rounds/1/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.json.sites).toHaveLength(3);
    expect(metrics.json.verdict).toMatchObject({ pass: true });
    const released = await federation().api('POST', `/api/studies/${studyId}/releases`, { round: 1 });
    expect(released.status).toBe(201);
    [...honest, hostile].forEach((s) => s.close());
  });
});
