import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import { decisionCurve } from './decision-curve';
import { pooledCounts, pooledDecisionCurve } from './pooled-decision-curve';
import { siteEvaluationCounts } from './site-histograms';
import { MetricsInputError } from './validate';

/** A seeded site with the wire threshold counts it would report. */
function site(n: number, seed: number, prevalence: number, separation: number) {
  const { labels, scores } = seededSite(n, seed, prevalence, separation, 3);
  const { threshold_counts } = siteEvaluationCounts(labels, scores);
  return Object.freeze({ labels, scores, n, n_pos: labels.filter((y) => y === 1).length, threshold_counts });
}

describe('pooledDecisionCurve', () => {
  const sites = [site(120, 1, 0.39, 1.5), site(75, 2, 0.2, 2.5), site(200, 3, 0.5, 0.8)];

  it('equals decisionCurve of the concatenated predictions, exactly', () => {
    // decisionCurve is checked against an independent numpy implementation (decision-curve.spec.ts).
    const labels = sites.flatMap((s) => s.labels);
    const scores = sites.flatMap((s) => s.scores);
    expect(pooledDecisionCurve(sites)).toEqual(decisionCurve(labels, scores));
  });

  it('hand example: sums n, n_pos and counts', () => {
    const grid = [0.5];
    expect(
      pooledCounts([
        { n: 4, n_pos: 2, threshold_counts: { thresholds: grid, tp: [1], fp: [1] } },
        { n: 2, n_pos: 1, threshold_counts: { thresholds: grid, tp: [1], fp: [0] } },
      ]),
    ).toEqual({ n: 6, n_pos: 3, thresholds: [0.5], tp: [2], fp: [1] });
  });

  it('refuses sites on different grids, and no sites', () => {
    const other = { n: 4, n_pos: 2, threshold_counts: { thresholds: [0.4], tp: [1], fp: [1] } };
    const one = { n: 4, n_pos: 2, threshold_counts: { thresholds: [0.5], tp: [1], fp: [1] } };
    expect(() => pooledDecisionCurve([one, other])).toThrow(MetricsInputError);
    expect(() => pooledDecisionCurve([one, other])).toThrow(
      /sites\[1\]\.threshold_counts\.thresholds differ/,
    );
    expect(() => pooledDecisionCurve([])).toThrow(/no sites/);
  });

  it('refuses impossible counts (more true positives than positives)', () => {
    const bad = { n: 4, n_pos: 1, threshold_counts: { thresholds: [0.5], tp: [2], fp: [1] } };
    expect(() => pooledDecisionCurve([bad])).toThrow(/tp\[0\] is 2; expected an integer in \[0, 1\]/);
  });
});
