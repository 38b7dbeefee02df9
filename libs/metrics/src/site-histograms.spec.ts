import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import { defaultThresholds, thresholdCounts } from './decision-curve';
import { histogramBin, scoreHistograms, siteEvaluationCounts } from './site-histograms';
import { MetricsInputError } from './validate';

/** Seeded scores to 2 decimals, so many sit exactly on a 0.01 threshold. */
const sample = (n: number, seed: number) => seededSite(n, seed, 0.4, 1.5, 2);

describe('histogramBin', () => {
  it('is the largest b with b/bins ≤ s (hand values)', () => {
    // 0.29·100 = 28.999999999999996 in float64, but 29/100 === 0.29, so 0.29 belongs to bin 29.
    expect(0.29 * 100).toBeLessThan(29);
    expect(histogramBin(0.29, 100)).toBe(29);
    expect(histogramBin(0.2899, 100)).toBe(28);
    expect(histogramBin(0, 10)).toBe(0);
    expect(histogramBin(0.5, 2)).toBe(1);
    // s = 1 has no bin of its own: it joins the top bin.
    expect(histogramBin(1, 10)).toBe(9);
  });
});

describe('scoreHistograms', () => {
  it('hand example: two bins', () => {
    // Positives 0.9 (bin 1) and 0.4 (bin 0); negatives 0.6 (bin 1) and 0.1 (bin 0).
    expect(scoreHistograms([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 2)).toEqual({
      bins: 2,
      positive: [1, 1],
      negative: [1, 1],
    });
  });

  it('with 100 bins, counts at or above bin k are thresholdCounts at k/100 exactly', () => {
    // thresholdCounts is checked against an independent numpy implementation (decision-curve.spec.ts).
    const { labels, scores } = sample(500, 3);
    const h = scoreHistograms(labels, scores, 100);
    const grid = defaultThresholds();
    const { tp, fp } = thresholdCounts(labels, scores, grid);
    grid.forEach((_, j) => {
      const k = j + 1;
      const sum = (a: number[]) => a.slice(k).reduce((s, v) => s + v, 0);
      expect([sum(h.positive), sum(h.negative)]).toEqual([tp[j], fp[j]]);
    });
  });

  it('names a score outside [0, 1] and a bad bin count', () => {
    expect(() => scoreHistograms([1, 0], [0.5, 1.2])).toThrow(MetricsInputError);
    expect(() => scoreHistograms([1, 0], [0.5, 1.2])).toThrow(/scores\[1\] is 1.2/);
    expect(() => scoreHistograms([1, 0], [0.5, 0.2], 0)).toThrow(/bins is 0; expected an integer ≥ 1/);
    expect(() => scoreHistograms([1, 2], [0.5, 0.2])).toThrow(/labels\[1\] is 2/);
  });
});

describe('siteEvaluationCounts', () => {
  it('hand example: five of each class, merged to the halves of [0, 1]', () => {
    // [0, 0.5) holds the 5 negatives, [0.5, 1) the 5 positives; no quarter holds 0 or ≥ 5 of each.
    expect(
      siteEvaluationCounts(
        [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
        [0.9, 0.8, 0.7, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1],
      ),
    ).toEqual({
      threshold_counts: { thresholds: [0.5], tp: [5], fp: [0] },
      score_histograms: { bins: 100, edges: [0, 50, 100], positive: [0, 5], negative: [5, 0] },
    });
  });

  it('defaults to the study bins and k = 5, holds every case, and is JSON as it stands', () => {
    const { labels, scores } = sample(200, 4);
    const c = siteEvaluationCounts(labels, scores);
    expect(c.score_histograms.bins).toBe(100);
    expect(c.score_histograms.positive.reduce((s, v) => s + v, 0)).toBe(labels.filter((y) => y === 1).length);
    for (const v of [...c.score_histograms.positive, ...c.score_histograms.negative])
      expect(v === 0 || v >= 5).toBe(true);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('its threshold counts are thresholdCounts of the scores at the released edges', () => {
    // thresholdCounts is checked against an independent numpy implementation (decision-curve.spec.ts).
    const { labels, scores } = sample(300, 6);
    const c = siteEvaluationCounts(labels, scores, { k: 7 });
    expect(c.threshold_counts).toEqual({
      thresholds: c.threshold_counts.thresholds,
      ...thresholdCounts(labels, scores, c.threshold_counts.thresholds),
    });
    expect(c.threshold_counts.thresholds.length).toBeGreaterThan(3);
  });
});
