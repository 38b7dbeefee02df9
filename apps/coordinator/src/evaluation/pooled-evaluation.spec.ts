import { describe, expect, it } from '@jest/globals';
import { auc, defaultThresholds, scoreHistograms, thresholdCounts } from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import { policyPooled, poolReports } from './pooled-evaluation';

/** Only the fields pooling reads; the rest of a report is irrelevant here. */
function report(labels: number[], scores: number[], bins = 20): SiteMetricsReport {
  const thresholds = defaultThresholds();
  const { tp, fp } = thresholdCounts(labels, scores, thresholds);
  const n_pos = labels.filter((y) => y === 1).length;
  return {
    n: labels.length,
    n_pos,
    threshold_counts: { thresholds, tp, fp },
    score_histograms: scoreHistograms(labels, scores, bins),
  } as unknown as SiteMetricsReport;
}

const A = Object.freeze({
  labels: [0, 0, 1, 1, 0, 1, 0, 1],
  scores: [0.1, 0.32, 0.35, 0.8, 0.55, 0.9, 0.2, 0.41],
});
const B = Object.freeze({ labels: [1, 0, 0, 1, 0], scores: [0.66, 0.05, 0.71, 0.52, 0.33] });

describe('poolReports', () => {
  it('is null without reports', () => {
    expect(poolReports([])).toBeNull();
    expect(policyPooled(null)).toEqual({ auc: null, dca: null });
  });

  it('pools the decision curve exactly: the hand-counted curve of the concatenated cases', () => {
    const pooled = poolReports([report(A.labels, A.scores), report(B.labels, B.scores)])!;
    const labels = [...A.labels, ...B.labels];
    const scores = [...A.scores, ...B.scores];
    const n = labels.length;
    // Vickers & Elkin 2006: NB(t) = TP/n − FP/n · t/(1 − t); at t = 0.5 by hand: scores ≥ 0.5 are
    // 0.8, 0.55, 0.9 (A) and 0.66, 0.71, 0.52 (B): TP = 4 (0.8, 0.9, 0.66, 0.52), FP = 2 → 4/13 − 2/13.
    const j = pooled.decision_curve.thresholds.indexOf(0.5);
    expect(pooled.decision_curve.net_benefit[j]).toBeCloseTo(4 / 13 - 2 / 13, 12);
    pooled.decision_curve.thresholds.forEach((t, k) => {
      let tp = 0;
      let fp = 0;
      scores.forEach((s, i) => {
        if (s >= t && labels[i] === 1) tp++;
        if (s >= t && labels[i] === 0) fp++;
      });
      expect(pooled.decision_curve.net_benefit[k]).toBeCloseTo(tp / n - (fp / n) * (t / (1 - t)), 12);
    });
    expect(pooled).toMatchObject({ n: 13, n_pos: 6, bins: 20 });
  });

  it('keeps the binned AUC within its bound of the exact AUC of the concatenated cases', () => {
    const pooled = poolReports([report(A.labels, A.scores, 4), report(B.labels, B.scores, 4)])!;
    const exact = auc([...A.labels, ...B.labels], [...A.scores, ...B.scores])!;
    expect(pooled.auc_error_bound).toBeGreaterThan(0); // 4 bins: ties, so the bound is not trivial
    expect(Math.abs(pooled.auc! - exact)).toBeLessThanOrEqual(pooled.auc_error_bound! + 1e-12);
    expect(pooled.auc_ci![0]).toBeLessThan(pooled.auc!);
    expect(policyPooled(pooled).auc).toBe(pooled.auc);
  });
});
