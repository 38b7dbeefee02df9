/**
 * Issue 13 (c, f): metrics reports that must not count. The old coordinator stored a report with a
 * one-point threshold grid, after which the round's metrics route and `POST /releases` answered 500
 * for ever; and a site that did not upload in a round could still report, its numbers pooled. Now
 * both are refused, and a site that never sends an acceptable report cannot hold the round: the
 * evaluation deadline gives it its verdict from the honest reports, and it can be released. (Each
 * kind of bad report and its reason: bad-reports.spec.ts.)
 */
import { describe, expect, it, jest } from '@jest/globals';
import { SiteEvent, type SiteMetricsReport } from '@fedaln/protocol';
import { reportOf, syntheticPredictions } from '../e2e/support/release-study';
import { HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, honestReport, honestUpload, useFederation, type Federation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

/** A report the site client would build for its approved test cases. */
function plausibleReport(seed: number): SiteMetricsReport {
  const p = syntheticPredictions(seed, CASES.n_test, 1.6);
  return reportOf(p.labels, p.scores);
}

/** Honest sites A and B and a hostile one, all enrolled; the study starts once `present` said hello. */
async function federationWithHostile(federation: Federation, name: string) {
  const enrolled = await Promise.all(['A', 'B'].map((n) => federation.enrol(`${name} honest ${n}`)));
  const hostile = await HostileSite.join(federation, `${name} hostile`, null);
  const honest = await Promise.all(
    enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
  );
  return { enrolled, hostile, honest, siteIds: [...enrolled.map((s) => s.id), hostile.enrolled.id] };
}

describe('hostile metrics reports (issue 13 c, f)', () => {
  const federationOf = useFederation('metrics-reports');

  it('(c) an uploader that only sends a one-point grid is refused; at the evaluation deadline the round has a verdict and is released', async () => {
    const federation = federationOf();
    const { hostile, honest, siteIds } = await federationWithHostile(federation, 'c');
    await hostile.send(SiteEvent.hello, HELLO);
    // The evaluation deadline is what ends a round whose uploader never reports acceptably.
    const deadlineS = federation.shortDeadlineS();
    const studyId = await federation.startStudy(siteIds, { min_sites: 3, round_deadline_s: deadlineS });
    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, 1, 10 + i)));
    const tasks = await Promise.all([...honest, hostile].map((s) => s.task('evaluate', 1)));
    await Promise.all(honest.map((s, i) => honestReport(s, tasks[i]!, 20 + i)));

    const good = plausibleReport(30);
    const onePoint = { ...good, threshold_counts: { thresholds: [0.5], tp: [5], fp: [3] } };
    expect(await hostile.report(tasks[2]!, onePoint)).toMatchObject({
      ok: false,
      code: 'bad_request',
      message: expect.stringContaining('threshold'),
    });
    const study = await federation.waitForStudy(
      studyId,
      (s) => s.status !== 'running',
      (4 * deadlineS * 1000) / federation.unitMs,
    );
    expect(study.status).toBe('completed');
    const metrics = await federation.api('GET', `/api/studies/${studyId}/rounds/1/metrics`);
    expect(metrics.status).toBe(200);
    const reported = (metrics.json.sites as { site_id: string }[]).map((s) => s.site_id).sort();
    expect(reported).toEqual(siteIds.slice(0, 2).sort());
    const verdicts = await federation.api('GET', `/api/studies/${studyId}/verdicts`);
    expect(verdicts.json).toEqual([expect.objectContaining({ round: 1 })]);
    const pass = (verdicts.json as { pass: boolean }[])[0]!.pass;
    const release = await federation.api(
      'POST',
      `/api/studies/${studyId}/releases`,
      pass ? { round: 1 } : { round: 1, override_reason: "adversarial e2e: the honest sites' verdict" },
    );
    expect(release.status).toBe(201);
    [...honest, hostile].forEach((s) => s.close());
  });

  it('(f) a site that did not upload in the round cannot report; its numbers are not pooled', async () => {
    const federation = federationOf();
    const { hostile, honest, siteIds } = await federationWithHostile(federation, 'f');
    const studyId = await federation.startStudy(siteIds, { min_sites: 2 });
    await Promise.all(honest.map((s, i) => honestUpload(s, 1, 40 + i)));
    const tasks = await Promise.all(honest.map((s) => s.task('evaluate', 1)));
    // Connected once the round was under way: assigned nothing, it copies an honest site's task.
    await hostile.send(SiteEvent.hello, HELLO);
    expect(await hostile.report(tasks[0]!, plausibleReport(50))).toMatchObject({
      ok: false,
      code: 'forbidden',
      message: expect.stringContaining('only sites that uploaded'),
    });
    await Promise.all(honest.map((s, i) => honestReport(s, tasks[i]!, 60 + i)));
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    const metrics = await federation.api('GET', `/api/studies/${studyId}/rounds/1/metrics`);
    const reported = (metrics.json.sites as { site_id: string }[]).map((s) => s.site_id).sort();
    expect(reported).toEqual(siteIds.slice(0, 2).sort());
    [...honest, hostile].forEach((s) => s.close());
  });
});
