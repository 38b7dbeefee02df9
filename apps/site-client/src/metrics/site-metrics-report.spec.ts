import { describe, expect, it } from '@jest/globals';
import { siteMetricsReport } from './site-metrics-report';

describe('siteMetricsReport', () => {
  // The example of scikit-learn's roc_auc_score documentation: AUC 0.75.
  const labels = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];
  const r = siteMetricsReport(labels, scores);

  it('carries the metrics report (AUC as scikit-learn gives it) without the per-case ROC curve', () => {
    expect(r.auc).toBeCloseTo(0.75, 12);
    expect(r.n).toBe(4);
    expect(r.n_pos).toBe(2);
    expect(r).not.toHaveProperty('roc');
  });

  it('counts TP and FP at score ≥ t on the grid 0.01…0.99', () => {
    expect(r.threshold_counts.thresholds).toHaveLength(99);
    expect(r.threshold_counts.thresholds[0]).toBe(0.01);
    expect(r.threshold_counts.thresholds[98]).toBe(0.99);
    // By hand: t = 0.35 (index 34): positives ≥ .35 are .35, .8 → 2; negatives .4 → 1.
    // t = 0.5 (index 49): positives .8 → 1; negatives none.  t = 0.01: all.
    expect([r.threshold_counts.tp[34], r.threshold_counts.fp[34]]).toEqual([2, 1]);
    expect([r.threshold_counts.tp[49], r.threshold_counts.fp[49]]).toEqual([1, 0]);
    expect([r.threshold_counts.tp[0], r.threshold_counts.fp[0]]).toEqual([2, 2]);
  });

  it('has 1000-bin per-class histograms holding every case', () => {
    expect(r.score_histograms.bins).toBe(1000);
    expect(r.score_histograms.negative[100]).toBe(1); // 0.1 → bin [0.100, 0.101)
    expect(r.score_histograms.negative[400]).toBe(1);
    expect(r.score_histograms.positive[350]).toBe(1); // 0.35 → bin [0.350, 0.351)
    expect(r.score_histograms.positive[800]).toBe(1);
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    expect([sum(r.score_histograms.positive), sum(r.score_histograms.negative)]).toEqual([2, 2]);
  });

  it('agrees with its threshold counts at every grid point (histogram edges b/1000 hold each k/100)', () => {
    // Cumulative histogram from bin 10k equals the count of scores ≥ k/100.
    const scores = Array.from({ length: 200 }, (_, i) => Math.round(i * 0.005 * 1e6) / 1e6); // 0, .005, …, .995
    const labels = scores.map((_, i) => i % 2);
    const s = siteMetricsReport(labels, scores);
    s.threshold_counts.thresholds.forEach((t, j) => {
      const from = Math.round(t * 1000);
      const tail = (h: number[]): number => h.slice(from).reduce((x, y) => x + y, 0);
      expect([tail(s.score_histograms.positive), tail(s.score_histograms.negative)]).toEqual([
        s.threshold_counts.tp[j],
        s.threshold_counts.fp[j],
      ]);
    });
  });

  it('is plain JSON: it survives a round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
