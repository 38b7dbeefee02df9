import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import { metricsReport } from './report';
import { releasedReport, releasedReportProblem, type ReleasedReport } from './released-report';

const big = seededSite(65, 3, 126 / 324, 1.8, 3);
const small = {
  labels: [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  scores: [0.9, 0.8, 0.2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
};

describe('releasedReport', () => {
  it('65 cases: summaries as metricsReport gives them, no ROC, every count 0 or ≥ k', () => {
    const full = metricsReport(big);
    const r = releasedReport(big, 5);
    expect(r).not.toHaveProperty('roc');
    expect([r.n, r.n_pos, r.auc, r.delong_var, r.brier]).toEqual([
      full.n,
      full.n_pos,
      full.auc,
      full.delong_var,
      full.brier,
    ]);
    const h = r.score_histograms;
    expect(h.edges.length).toBeGreaterThan(2);
    for (const c of [...h.positive, ...h.negative, ...r.threshold_counts.tp, ...r.threshold_counts.fp])
      expect(c === 0 || c >= 5).toBe(true);
    // The Youden threshold is a released edge, not a patient's score.
    expect(r.threshold_counts.thresholds).toContain(r.youden!.threshold);
    expect(big.scores).not.toContain(r.youden!.threshold);
    expect(releasedReportProblem(r, 5)).toBeNull();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('n = 10 with 3 positives (< k): summaries withheld, one bin holding the totals', () => {
    const r = releasedReport({ ...small, scores_b: small.scores.map((s) => 1 - s) }, 5);
    expect([r.auc, r.delong_var, r.auc_ci, r.brier]).toEqual([null, null, null, null]);
    // No released threshold: Youden's point is "nobody positive" (+∞, JSON null), from n and n_pos alone.
    expect(r.youden).toEqual({ threshold: null, sensitivity: 0, specificity: 1, j: 0 });
    expect(r.calibration).toEqual({ intercept: null, slope: null, intercept_joint: null });
    expect(r.paired).toEqual({ auc_b: null, delong_var_b: null, z: null, p: null });
    expect(r.score_histograms).toEqual({ bins: 100, edges: [0, 100], positive: [3], negative: [7] });
    expect(r.threshold_counts).toEqual({ thresholds: [], tp: [], fp: [] });
    expect(r.dca!.thresholds).toHaveLength(99);
    expect(releasedReportProblem(r, 5)).toBeNull();
  });
});

describe('releasedReportProblem: what the coordinator refuses, naming the field and value', () => {
  const good = releasedReport(big, 5);
  const smallReport = releasedReport(small, 5);
  // Issue 14: the report of today's client (1000 bins, exact curves) is per-case data.
  it.each<[string, ReleasedReport, number, string]>([
    [
      'a bin holding 1 positive',
      {
        ...good,
        score_histograms: {
          bins: 100,
          edges: [0, 40, 100],
          positive: [1, good.n_pos - 1],
          negative: [good.n - good.n_pos, 0],
        },
      },
      5,
      'score_histograms.positive[0] is 1 case in [0, 0.4); the privacy rule releases 0 or at least k = 5 cases of a class per bin',
    ],
    ['the same report under k = 30', good, 30, 'score_histograms.'],
    [
      'an AUC for a class under k',
      { ...smallReport, auc: 0.81 },
      5,
      'auc is 0.81 with n_pos = 3 and n − n_pos = 7; the privacy rule withholds (null) the score summaries unless each class has at least k = 5 cases',
    ],
    [
      'a paired AUC for a class under k',
      { ...smallReport, paired: { auc_b: 0.6, delong_var_b: null, z: null, p: null } },
      5,
      'paired.auc_b is 0.6 with n_pos = 3',
    ],
    [
      "the exact Youden threshold (a patient's score)",
      { ...good, youden: metricsReport(big).youden },
      5,
      'youden is {"threshold":',
    ],
    ['the exact decision curve', { ...good, dca: metricsReport(big).dca }, 5, 'dca.net_benefit['],
    [
      // A site inflating its own AUC (which now fixes its within-site pairs in the pooled AUC): its
      // histogram puts every positive–negative pair in ordered bins or a shared bin (siteAucRange).
      'an AUC its own histogram rules out',
      { ...good, auc: 0.999 },
      5,
      'auc is 0.999; the released histogram allows an AUC in [',
    ],
    [
      'a curve at the released thresholds only',
      { ...good, dca: { ...good.dca!, thresholds: [0.5], net_benefit: [0.1], treat_all: [0] } },
      5,
      'dca.thresholds has 1 values; the privacy rule releases the curve of the released counts on the 99 grid thresholds',
    ],
  ])('%s', (_name, report, k, message) => {
    expect(releasedReportProblem(report, k)).toContain(message);
  });
});
