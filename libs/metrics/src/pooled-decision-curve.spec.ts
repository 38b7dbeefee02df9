import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import { decisionCurve } from './decision-curve';
import { unmergedHistograms } from './merged-histograms';
import { pooledDecisionCurve, thresholdEstimates } from './pooled-decision-curve';
import { scoreHistograms, siteEvaluationCounts } from './site-histograms';
import { MetricsInputError } from './validate';

/** A seeded site with the merged histograms it would report (k = 5). */
function site(n: number, seed: number, prevalence: number, separation: number, decimals = 3) {
  const { labels, scores } = seededSite(n, seed, prevalence, separation, decimals);
  const { score_histograms } = siteEvaluationCounts(labels, scores);
  return Object.freeze({ labels, scores, n, n_pos: labels.filter((y) => y === 1).length, score_histograms });
}

const federations = [
  { name: 'three sites', sites: [site(120, 1, 0.39, 1.5), site(75, 2, 0.2, 2.5), site(200, 3, 0.5, 0.8)] },
  { name: "one site of 65 (the issue's test split)", sites: [site(65, 7, 126 / 324, 1.8)] },
  {
    name: 'small sites (n = 10, n_pos < k)',
    sites: [site(10, 8, 0.3, 1), site(10, 9, 0.3, 1), site(12, 10, 0.5, 2)],
  },
  { name: 'scores to 1 decimal (many ties)', sites: [site(80, 11, 0.4, 2, 1), site(50, 12, 0.4, 2, 1)] },
];

describe('pooledDecisionCurve: within its bound of the curve of the concatenated predictions', () => {
  // Reference: decisionCurve of the concatenated predictions (checked against an independent numpy
  // implementation, decision-curve.spec.ts). The bound is derived in pooled-decision-curve.ts.
  it.each(federations.map((f) => [f.name, f.sites] as const))('%s', (_name, sites) => {
    const exact = decisionCurve(
      sites.flatMap((s) => s.labels),
      sites.flatMap((s) => s.scores),
    );
    const pooled = pooledDecisionCurve(sites);
    expect(pooled.thresholds).toEqual(exact.thresholds);
    expect(pooled.treat_all).toEqual(exact.treat_all);
    pooled.net_benefit.forEach((nb, j) => {
      expect(Math.abs(nb - exact.net_benefit[j]!)).toBeLessThanOrEqual(
        pooled.net_benefit_error_bound[j]! + 1e-12,
      );
    });
  });

  it('is exact where every site has a bin edge: unmerged 0.01 bins give decisionCurve exactly', () => {
    const sites = federations[0]!.sites.map((s) => ({
      ...s,
      score_histograms: unmergedHistograms(scoreHistograms(s.labels, s.scores)),
    }));
    const exact = decisionCurve(
      sites.flatMap((s) => s.labels),
      sites.flatMap((s) => s.scores),
    );
    const { net_benefit_error_bound: bound, ...curve } = pooledDecisionCurve(sites);
    expect(bound.every((b) => b === 0)).toBe(true);
    expect(curve.runs).toEqual(exact.runs);
    curve.net_benefit.forEach((nb, j) => expect(nb).toBeCloseTo(exact.net_benefit[j]!, 14));
  });

  it('hand example: interpolation inside a bin and its bound', () => {
    const e = thresholdEstimates(
      { bins: 100, edges: [0, 20, 60, 100], positive: [0, 6, 5], negative: [7, 5, 0] },
      [0.2, 0.3],
    );
    // 0.2 is an edge: 6 + 5 positives and 5 negatives score ≥ 0.2, exactly.
    expect([e.tp[0], e.fp[0], e.tp_error[0], e.fp_error[0]]).toEqual([11, 5, 0, 0]);
    // 0.3 lies in [0.2, 0.6): f = 0.3/0.4 = 0.75 of the bin above 0.3 on a linear spread.
    expect(e.tp[1]).toBeCloseTo(5 + 6 * 0.75, 14);
    expect(e.fp[1]).toBeCloseTo(5 * 0.75, 14);
    expect(e.tp_error[1]).toBeCloseTo(4.5, 14);
    expect(e.fp_error[1]).toBeCloseTo(3.75, 14);
  });

  it('refuses histograms that do not hold n_pos, malformed ones, and no sites', () => {
    const h = { bins: 100, edges: [0, 50, 100], positive: [0, 5], negative: [5, 0] };
    expect(() => pooledDecisionCurve([{ n: 10, n_pos: 6, score_histograms: h }])).toThrow(
      /sites\[0\]\.score_histograms hold 5 positives and 5 negatives; expected n_pos = 6/,
    );
    expect(() =>
      pooledDecisionCurve([{ n: 10, n_pos: 5, score_histograms: { ...h, edges: [0, 100] } }]),
    ).toThrow(MetricsInputError);
    expect(() => pooledDecisionCurve([])).toThrow(/no sites/);
  });
});
