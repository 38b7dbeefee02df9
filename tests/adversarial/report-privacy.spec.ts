/**
 * Issue 14, "patient data leaks through evaluation": sites sent per-class score histograms of 1000
 * bins and counts at every 0.01, so on a test split of ~65 cases each case sat alone in its bin and
 * the report was each patient's (label, score); and any site of a study read every other site's
 * report through `GET /api/releases` and `card.json`. Now:
 * - every count a site sends covers 0 or at least k = 5 cases of a class (the privacy rule), and the
 *   coordinator refuses a report that breaks it, naming the field and the value;
 * - a site sees its own report and the pooled results only; the lead sees every report.
 * On main each block below fails: today's client report is accepted, the stored reports hold counts of
 * 1, and site A reads site B's report.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  defaultThresholds,
  metricsReport,
  releasedReport,
  scoreHistograms,
  thresholdCounts,
} from '@fedaln/metrics';
import { SiteEvent, type SiteMetricsReport } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderModelCardHtml } from '../../apps/coordinator/src/releases/card/model-card-html';
import { runReleaseStudy, syntheticPredictions, type ReleaseStudy } from '../e2e/support/release-study';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const K = 5;

/** The report today's (pre-issue-14) site client sent: exact summaries and curves, 1000 bins, every 0.01. */
function perCaseReport(labels: number[], scores: number[]): unknown {
  const { roc: _roc, ...full } = metricsReport({ labels, scores });
  const thresholds = defaultThresholds();
  return {
    ...full,
    threshold_counts: { thresholds, ...thresholdCounts(labels, scores, thresholds) },
    score_histograms: scoreHistograms(labels, scores, 1000),
  };
}

/** Every count in a stored report: histogram bins and threshold counts. */
function countsOf(report: SiteMetricsReport): number[] {
  const h = report.score_histograms;
  return [...h.positive, ...h.negative, ...report.threshold_counts.tp, ...report.threshold_counts.fp];
}

describe('what a site sends (privacy rule, k = 5)', () => {
  const federation = useFederation('report-privacy');

  it("refuses today's per-case report and a k = 1 one, naming the field and value; takes the released one", async () => {
    const [honestSite] = await Promise.all(['Honest'].map((n) => federation().enrol(n)));
    const hostile = await HostileSite.join(federation(), 'Leaky', null);
    const studyId = await federation().startStudy([honestSite!.id, hostile.enrolled.id]);
    const honest = await ScriptedSite.connect(federation().coordinator.baseUrl, honestSite!.token);
    expectOk(await hostile.send(SiteEvent.hello, HELLO));
    await Promise.all([honest, hostile].map((s, i) => honestUpload(s, 1, 70 + i)));
    const task = await hostile.task('evaluate', 1);
    const send = (report: unknown) => hostile.sendReport(task, report);
    // 25 test cases with well separated scores: most 0.01 cells hold one case.
    const p = syntheticPredictions(11, CASES.n_test, 1.6);
    const refused = async (report: unknown, message: RegExp) =>
      expect(await send(report)).toEqual({
        ok: false,
        code: 'bad_request',
        message: expect.stringMatching(message),
      });
    await refused(
      perCaseReport(p.labels, p.scores),
      /report\.score_histograms\.bins: bins must not be greater than 100/,
    );
    const leaky = releasedReport(p, 1); // a client that merges with k = 1: single cases again
    expect(leaky.score_histograms.edges.length).toBeGreaterThan(3);
    await refused(
      leaky,
      /^metrics report refused: report\.score_histograms\.(positive|negative)\[\d+\] is [1-4] cases? in \[[\d.]+, [\d.]+\); the privacy rule releases 0 or at least k = 5 cases of a class per bin/,
    );
    const good = releasedReport(p, K);
    const exactYouden = { ...good, youden: metricsReport(p).youden };
    await refused(exactYouden, /^metrics report refused: report\.youden is \{"threshold":[\d.]+/);
    await honestReport(honest, 1, 80);
    expectOk(await send(good));
    const done = await federation().waitForStudy(studyId, (s) => s.status !== 'running');
    expect(done.status).toBe('completed');
    [honest, hostile].forEach((s) => s.close());
  });
});

describe('who sees which report', () => {
  let study: ReleaseStudy;
  let umask: number;
  beforeAll(async () => {
    // The coordinator process inherits it: its folders must be private whatever the umask.
    umask = process.umask(0o022);
    study = await runReleaseStudy({
      name: 'report privacy',
      rounds: 1,
      sites: [
        { name: 'Hospital A', nTrain: 120, nTest: 65, separation: () => 1.6 },
        { name: 'Hospital B', nTrain: 80, nTest: 70, separation: () => 1.2 },
      ],
      policy: { min_site_auc: 0, min_pooled_auc: 0, dca_range: [0.2, 0.5], min_sites_passing: 1 },
    });
    const released = await study.api('POST', `/api/studies/${study.studyId}/releases`, { round: 1 });
    if (released.status !== 201) throw new Error(JSON.stringify(released.json));
  });
  afterAll(async () => {
    process.umask(umask);
    await study?.stop();
  });

  it('the coordinator stores no count below k, in 0700 folders and 0600 files (umask 022)', () => {
    const metrics = path.join(study.coordinator.dataDir, 'metrics');
    const dir = path.join(metrics, study.studyId, '1');
    const stored = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(stored).toHaveLength(2);
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect([metrics, path.join(metrics, study.studyId), dir].map(mode)).toEqual([0o700, 0o700, 0o700]);
    expect(mode(study.coordinator.dataDir)).toBe(0o700);
    for (const f of stored) {
      expect(mode(path.join(dir, f))).toBe(0o600);
      const report = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).report as SiteMetricsReport;
      expect(countsOf(report).filter((c) => c > 0 && c < K)).toEqual([]);
      expect(report.score_histograms.edges.length).toBeGreaterThan(2);
    }
  });

  it("site A reads its own report and the pooled results, never site B's; the lead reads both", async () => {
    const [a, b] = study.siteIds as [string, string];
    const tokenA = study.tokens[0]!;
    const listA = await study.api('GET', '/api/releases', undefined, tokenA);
    expect(listA.status).toBe(200);
    expect(listA.json).toHaveLength(1);
    const version = listA.json[0].version as number;
    const oneA = await study.api('GET', `/api/releases/${version}`, undefined, tokenA);
    type SiteVerdict = { site_id: string; auc: number | null; pass: boolean };
    for (const r of [listA.json[0], oneA.json]) {
      expect(r.metrics.sites.map((s: { site_id: string }) => s.site_id)).toEqual([a]);
      expect(r.metrics.pooled.auc).toEqual(expect.any(Number));
      // The verdict keeps B's pass or fail, not B's AUC (a figure of B's report).
      const vb = r.verdict.sites.find((s: SiteVerdict) => s.site_id === b);
      expect(vb).toMatchObject({ auc: null, pass: expect.any(Boolean) });
      expect(r.verdict.sites.find((s: SiteVerdict) => s.site_id === a).auc).toEqual(expect.any(Number));
    }
    const cardA = await study.api('GET', `/api/releases/${version}/card.json`, undefined, tokenA);
    expect(cardA.status).toBe(200);
    expect(cardA.json.sites.map((s: { site_id: string }) => s.site_id)).toEqual([a]);
    expect(cardA.json.release.verdict.sites.find((s: SiteVerdict) => s.site_id === b).auc).toBeNull();
    expect(cardA.json.pooled.n).toBe(65 + 70); // pooled over both sites
    const htmlA = await study.api('GET', `/api/releases/${version}/card.html`, undefined, tokenA);
    expect(htmlA.json).toBe(renderModelCardHtml(cardA.json));
    // The per-site round metrics are the lead's only.
    const metricsA = await study.api(
      'GET',
      `/api/studies/${study.studyId}/rounds/1/metrics`,
      undefined,
      tokenA,
    );
    expect(metricsA.status).toBe(401);

    const admin = await study.api('GET', `/api/releases/${version}`);
    expect(admin.json.metrics.sites.map((s: { site_id: string }) => s.site_id).sort()).toEqual([a, b].sort());
    expect(admin.json.verdict.sites.find((s: SiteVerdict) => s.site_id === b).auc).toEqual(
      expect.any(Number),
    );
    const adminCard = await study.api('GET', `/api/releases/${version}/card.json`);
    expect(adminCard.json.sites).toHaveLength(2);
    expect(adminCard.json.pooled).toEqual(cardA.json.pooled);
  });
});
