import { describe, expect, it } from '@jest/globals';
import { siteMetricsReport } from './site-metrics-report';

describe('siteMetricsReport', () => {
  // The example of scikit-learn's roc_auc_score documentation (AUC 0.75), and the same model on a
  // test split large enough (12 of each class) for the privacy rule's k = 5 to release the summaries.
  const labels = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];
  const r = siteMetricsReport(labels, scores);
  const big = {
    labels: Array.from({ length: 24 }, (_, i) => i % 2),
    scores: Array.from({ length: 24 }, (_, i) => (i % 2 === 1 ? 0.5 : 0) + (i % 12) / 25),
  };
  const R = siteMetricsReport(big.labels, big.scores);

  it('withholds the score summaries of 4 cases (2 per class < k = 5) and sends one bin of the totals', () => {
    expect([r.n, r.n_pos, r.auc, r.delong_var, r.auc_ci, r.brier]).toEqual([4, 2, null, null, null, null]);
    expect(r.score_histograms).toEqual({ bins: 100, edges: [0, 100], positive: [2], negative: [2] });
    expect(r.threshold_counts).toEqual({ thresholds: [], tp: [], fp: [] });
    expect(r).not.toHaveProperty('roc');
  });

  it('with 12 of each class: the AUC, and histograms whose every count is 0 or ≥ 5', () => {
    expect(R.auc).not.toBeNull();
    const h = R.score_histograms;
    expect(h.edges.length).toBeGreaterThan(2);
    for (const c of [...h.positive, ...h.negative]) expect(c === 0 || c >= 5).toBe(true);
    expect(h.positive.reduce((a, b) => a + b, 0)).toBe(12);
  });

  it('its threshold counts are the cases from each inner edge on', () => {
    const h = R.score_histograms;
    R.threshold_counts.thresholds.forEach((t, j) => {
      expect(t).toBe(h.edges[j + 1]! / 100);
      const tp = big.scores.filter((s, i) => s >= t && big.labels[i] === 1).length;
      const fp = big.scores.filter((s, i) => s >= t && big.labels[i] === 0).length;
      expect([R.threshold_counts.tp[j], R.threshold_counts.fp[j]]).toEqual([tp, fp]);
    });
  });

  it("takes the study's k", () => {
    const k12 = siteMetricsReport(big.labels, big.scores, { k: 13 });
    expect(k12.auc).toBeNull(); // 12 per class < 13
    expect(k12.score_histograms.edges).toEqual([0, 100]);
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(R))).toEqual(R);
  });
});
