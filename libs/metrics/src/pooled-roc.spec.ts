import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededSite as site } from '../fixtures/seeded-sites';
import { auc } from './auc';
import { thresholdCounts } from './decision-curve';
import { histogramDelong, histogramRoc, pooledRoc, sumScoreHistograms } from './pooled-roc';
import { scoreHistograms } from './site-histograms';
import { MetricsInputError } from './validate';

const federations = [
  {
    name: 'three sites, continuous scores',
    sites: [site(120, 1, 0.39, 1.8), site(80, 2, 0.25, 1.2), site(200, 3, 0.5, 2.5)],
  },
  { name: 'two sites, scores to 2 decimals', sites: [site(150, 4, 0.4, 1.5, 2), site(90, 5, 0.3, 2, 2)] },
  {
    name: 'four small sites, scores to 3 decimals',
    sites: [11, 12, 13, 14].map((seed) => site(30, seed, 0.35, 1, 3)),
  },
  { name: 'one site, weak model', sites: [site(324, 21, 126 / 324, 0.5)] },
];

describe('pooledRoc: binned AUC within the derived bound of the exact AUC', () => {
  // Reference: auc() of the concatenated predictions (Mann–Whitney; equals scikit-learn
  // roc_auc_score, auc.spec.ts). The bound is derived in pooled-roc.ts.
  const cases = federations.flatMap((f) =>
    [2, 7, 10, 100, 1000].map((bins) => [f.name, bins, f.sites] as const),
  );
  it.each(cases)('%s, %i bins', (_name, bins, sites) => {
    const pooled = pooledRoc(sites.map((s) => scoreHistograms(s.labels, s.scores, bins)));
    const exact = auc(
      sites.flatMap((s) => s.labels),
      sites.flatMap((s) => s.scores),
    )!;
    expect(Math.abs(pooled.auc! - exact)).toBeLessThanOrEqual(pooled.auc_error_bound! + 1e-15);
  });

  it('the bound shrinks as bins get finer, and is small at 1000 bins', () => {
    const sites = federations[0]!.sites;
    const bound = (bins: number) =>
      pooledRoc(sites.map((s) => scoreHistograms(s.labels, s.scores, bins))).auc_error_bound!;
    expect(bound(10)).toBeGreaterThan(bound(100));
    expect(bound(100)).toBeGreaterThan(bound(1000));
    expect(bound(1000)).toBeLessThan(0.002);
  });

  it('summed site histograms are the histogram of the concatenation', () => {
    const sites = federations[0]!.sites;
    expect(sumScoreHistograms(sites.map((s) => scoreHistograms(s.labels, s.scores, 50)))).toEqual(
      scoreHistograms(
        sites.flatMap((s) => s.labels),
        sites.flatMap((s) => s.scores),
        50,
      ),
    );
  });
});

describe('histogramRoc', () => {
  it('hand example from the doc comment', () => {
    // P = 3, N = 4. AUC = (1·(0 + 3/2) + 2·(3 + 1/2)) / 12; bound = ½·(1·3 + 2·1) / 12.
    const r = histogramRoc({ bins: 2, positive: [1, 2], negative: [3, 1] });
    expect(r.auc).toBe(8.5 / 12);
    expect(r.auc_error_bound).toBe(5 / 24);
    expect(r.thresholds).toEqual([Infinity, 0.5, 0]);
    expect(r.fpr).toEqual([0, 0.25, 1]);
    expect(r.tpr).toEqual([0, 2 / 3, 1]);
  });

  it('the bound is attained when every bin has its positives above its negatives', () => {
    // Positives 0.4, 0.9; negatives 0.1, 0.6. Exact: pairs (0.4,0.1)=1, (0.4,0.6)=0, (0.9,0.1)=1,
    // (0.9,0.6)=1 → 3/4. Two bins: each holds one positive above one negative; binned AUC counts
    // them as ties: (1·½ + 1·(1 + ½))/4 = ½. Bound ½·(1 + 1)/4 = ¼ = |¾ − ½|.
    const labels = [1, 1, 0, 0];
    const scores = [0.4, 0.9, 0.1, 0.6];
    const r = histogramRoc(scoreHistograms(labels, scores, 2));
    expect(auc(labels, scores)).toBe(0.75);
    expect(r.auc).toBe(0.5);
    expect(r.auc_error_bound).toBe(0.25);
  });

  it('scores on bin edges: the AUC is exact and the points are the ROC at the edges', () => {
    const s = site(200, 31, 0.4, 1.5, 1); // scores k/10
    const r = histogramRoc(scoreHistograms(s.labels, s.scores, 10));
    expect(Math.abs(r.auc! - auc(s.labels, s.scores)!)).toBeLessThanOrEqual(1e-15);
    // ROC point at edge t is (FP(t)/N, TP(t)/P) with thresholdCounts (numpy-checked) at t.
    const edges = r.thresholds.slice(1, -1); // 0.9 … 0.1 (thresholdCounts wants 0 < t < 1)
    const { tp, fp } = thresholdCounts(s.labels, s.scores, [...edges].reverse());
    tp.reverse();
    fp.reverse();
    edges.forEach((_, j) => {
      expect(r.tpr[j + 1]).toBe(tp[j]! / r.n_pos);
      expect(r.fpr[j + 1]).toBe(fp[j]! / r.n_neg);
    });
  });

  it('the trapezoidal area under the returned curve is the binned AUC', () => {
    const s = federations[0]!.sites[0]!;
    const r = histogramRoc(scoreHistograms(s.labels, s.scores, 20));
    let area = 0;
    for (let i = 1; i < r.fpr.length; i++)
      area += ((r.fpr[i]! - r.fpr[i - 1]!) * (r.tpr[i]! + r.tpr[i - 1]!)) / 2;
    expect(Math.abs(area - r.auc!)).toBeLessThanOrEqual(1e-14);
  });

  it('one class: AUC and bound null, no curve', () => {
    const r = histogramRoc({ bins: 2, positive: [0, 0], negative: [2, 1] });
    expect(r).toMatchObject({ auc: null, auc_error_bound: null, fpr: [], tpr: [], n_pos: 0, n_neg: 3 });
  });

  it('names bad histograms', () => {
    const a = { bins: 2, positive: [1, 0], negative: [0, 1] };
    expect(() => sumScoreHistograms([a, { bins: 3, positive: [0, 0, 0], negative: [0, 0, 0] }])).toThrow(
      /histograms\[1\]\.bins is 3 but histograms\[0\]\.bins is 2/,
    );
    expect(() => sumScoreHistograms([a, { bins: 2, positive: [1], negative: [0, 1] }])).toThrow(
      MetricsInputError,
    );
    expect(() => histogramRoc({ bins: 2, positive: [1, -1], negative: [0, 1] })).toThrow(
      /histogram\.positive\[1\] is -1; expected a count/,
    );
    expect(() => sumScoreHistograms([])).toThrow(/no histograms/);
  });
});

describe('histogramDelong against pROC on bin-midpoint scores', () => {
  // Reference: pROC auc/var/ci.auc(method = "delong"), fixtures/make_histogram_fixtures.R.
  interface Case {
    bins: number;
    positive: number[];
    negative: number[];
    auc: number;
    var: number;
    ci: [number, number];
  }
  const cases: Case[] = JSON.parse(
    readFileSync(join(__dirname, '../fixtures/histogram_delong.json'), 'utf8'),
  );
  it.each(cases.map((c) => [c.bins, c.positive.reduce((a, b) => a + b, 0), c] as const))(
    '%i bins, %i positives',
    (_bins, _nPos, c) => {
      const d = histogramDelong(c)!;
      expect(Math.abs(d.auc - c.auc)).toBeLessThanOrEqual(1e-14);
      expect(Math.abs(d.variance! - c.var)).toBeLessThanOrEqual(1e-12 * c.var);
      expect(Math.abs(d.ci![0] - c.ci[0])).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(d.ci![1] - c.ci[1])).toBeLessThanOrEqual(1e-12);
      expect(d.auc).toBeCloseTo(histogramRoc(c).auc!, 14);
    },
  );
});
