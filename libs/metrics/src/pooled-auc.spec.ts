import { describe, expect, it } from '@jest/globals';
import { seededSite as site } from '../fixtures/seeded-sites';
import { auc } from './auc';
import { unmergedHistograms } from './merged-histograms';
import { pooledAuc, siteAucRange } from './pooled-auc';
import { histogramDelong, histogramRoc, sumScoreHistograms } from './pooled-roc';
import { scoreHistograms, siteEvaluationCounts } from './site-histograms';

const allTied = (n: number, nPos: number, score: number) => ({
  labels: Array.from({ length: n }, (_, i) => (i < nPos ? 1 : 0)),
  scores: Array.from({ length: n }, () => score),
});

const federations = [
  {
    name: 'three sites, continuous scores',
    sites: [site(120, 1, 0.39, 1.8), site(80, 2, 0.25, 1.2), site(200, 3, 0.5, 2.5)],
  },
  { name: "one site of 65 (the issue's test split)", sites: [site(65, 4, 126 / 324, 1.8)] },
  { name: 'scores to 1 decimal (heavy ties)', sites: [site(150, 5, 0.4, 1.5, 1), site(90, 6, 0.3, 2, 1)] },
  {
    name: 'small sites: n = 10, n_pos < k',
    sites: [site(10, 7, 0.3, 1.5), site(10, 8, 0.2, 1.5), site(10, 9, 0.4, 1.5)],
  },
  { name: 'a small site beside a large one', sites: [site(10, 10, 0.3, 2), site(300, 11, 0.4, 2)] },
  { name: 'all tied at one score', sites: [allTied(30, 12, 0.37), allTied(20, 9, 0.37)] },
  { name: 'all tied, each site at its own score', sites: [allTied(30, 12, 0.2), allTied(20, 9, 0.8)] },
  { name: 'one site, weak model', sites: [site(324, 21, 126 / 324, 0.5)] },
];

describe('pooledAuc of released (merged, k = 5) histograms: within the derived bound of the exact AUC', () => {
  // Reference: auc() of the concatenated raw predictions (Mann–Whitney; equals scikit-learn
  // roc_auc_score, auc.spec.ts). The bound is derived in pooled-auc.ts.
  it.each(federations.map((f) => [f.name, f.sites] as const))('%s', (_name, sites) => {
    const released = sites.map((s) => siteEvaluationCounts(s.labels, s.scores).score_histograms);
    const pooled = pooledAuc(released);
    const exact = auc(
      sites.flatMap((s) => s.labels),
      sites.flatMap((s) => s.scores),
    )!;
    expect(pooled.auc).not.toBeNull();
    expect(Math.abs(pooled.auc! - exact)).toBeLessThanOrEqual(pooled.auc_error_bound! + 1e-15);
    expect(pooled.ci![0]).toBeLessThanOrEqual(pooled.auc!);
    expect(pooled.ci![1]).toBeGreaterThanOrEqual(pooled.auc!);
  });

  it.each(federations.map((f) => [f.name, f.sites] as const))(
    "%s, with the sites' own exact AUCs: within a bound no larger than without them",
    (_name, sites) => {
      const released = sites.map((s) => siteEvaluationCounts(s.labels, s.scores).score_histograms);
      // A site's own AUC is released only with ≥ k = 5 cases of each class (privacy-rule.ts).
      const own = sites.map((s) => {
        const nPos = s.labels.filter((y) => y === 1).length;
        return nPos >= 5 && s.labels.length - nPos >= 5 ? auc(s.labels, s.scores) : null;
      });
      const withOwn = pooledAuc(released, own);
      const exact = auc(
        sites.flatMap((s) => s.labels),
        sites.flatMap((s) => s.scores),
      )!;
      expect(Math.abs(withOwn.auc! - exact)).toBeLessThanOrEqual(withOwn.auc_error_bound! + 1e-12);
      // A site's exact AUC only removes unknown pairs (its bins' shared pairs): the bound never grows.
      expect(withOwn.auc_error_bound!).toBeLessThanOrEqual(pooledAuc(released).auc_error_bound! + 1e-12);
      own.forEach((a, i) => {
        if (a === null) return;
        const [lo, hi] = siteAucRange(released[i]!)!;
        expect(a).toBeGreaterThanOrEqual(lo - 1e-12);
        expect(a).toBeLessThanOrEqual(hi + 1e-12);
      });
    },
  );

  it('one site with its own AUC: the pooled AUC is that AUC exactly, bound 0', () => {
    const s = federations[1]!.sites[0]!; // the 65-case test split
    const exact = auc(s.labels, s.scores)!;
    const released = siteEvaluationCounts(s.labels, s.scores).score_histograms;
    const p = pooledAuc([released], [exact]);
    expect(p.auc).toBeCloseTo(exact, 14);
    expect(p.auc_error_bound).toBeLessThan(1e-14);
    expect(pooledAuc([released]).auc_error_bound).toBeGreaterThan(0.01); // bins alone leave pairs unknown
  });

  it('siteAucRange: the hand example, and a site AUC its histogram rules out is refused', () => {
    const h = { bins: 2, edges: [0, 1, 2], positive: [1, 5], negative: [5, 0] };
    // ordered: 5 positives in [1, 2) above 5 negatives in [0, 1) = 25; shared bin [0, 1): 1·5 = 5; PN = 30.
    expect(siteAucRange(h)).toEqual([25 / 30, 30 / 30]);
    expect(() => pooledAuc([h], [0.5])).toThrow(
      /siteAucs\[0\] is 0.5; its histogram allows an AUC in \[0.8333/,
    );
    expect(siteAucRange({ bins: 2, edges: [0, 2], positive: [0], negative: [5] })).toBeNull();
  });

  it('the bound is attained: all positives above all negatives inside one bin', () => {
    // One bin [0, 1] (n_pos = 3 < k): every pair overlaps; exact AUC 1, estimate ½, bound ½.
    const r = pooledAuc([
      siteEvaluationCounts([1, 1, 1, 0, 0, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.1]).score_histograms,
    ]);
    expect([r.auc, r.auc_error_bound]).toEqual([0.5, 0.5]);
  });

  it('hand example (the doc comment): ordered and overlapping pairs across two sites', () => {
    const p = pooledAuc([
      { bins: 2, edges: [0, 1, 2], positive: [0, 5], negative: [5, 0] },
      { bins: 2, edges: [0, 2], positive: [5], negative: [5] },
    ]);
    expect(p.auc).toBe(0.75);
    expect(p.auc_error_bound).toBe(0.5);
  });

  it('with unmerged bins it is the binned AUC and pROC-checked CI of histogramRoc/histogramDelong', () => {
    // histogramDelong matches pROC on bin-midpoint scores (pooled-roc.spec.ts, fixtures/make_histogram_fixtures.R).
    const sites = federations[0]!.sites;
    const fine = sites.map((s) => scoreHistograms(s.labels, s.scores));
    const p = pooledAuc(fine.map(unmergedHistograms));
    const summed = sumScoreHistograms(fine);
    const roc = histogramRoc(summed);
    const d = histogramDelong(summed)!;
    expect(p.auc).toBeCloseTo(roc.auc!, 14);
    expect(p.auc_error_bound).toBeCloseTo(roc.auc_error_bound!, 14);
    expect(p.variance).toBeCloseTo(d.variance!, 14);
  });

  it('is null for an empty class and names a malformed histogram', () => {
    expect(pooledAuc([{ bins: 100, edges: [0, 100], positive: [0], negative: [9] }]).auc).toBeNull();
    expect(() => pooledAuc([{ bins: 100, edges: [0, 40, 100], positive: [1], negative: [1, 2] }])).toThrow(
      /histograms\[0\]\.positive has 1 entries; expected one per bin \(2\)/,
    );
    expect(() =>
      pooledAuc([
        { bins: 100, edges: [0, 100], positive: [5], negative: [5] },
        { bins: 10, edges: [0, 10], positive: [5], negative: [5] },
      ]),
    ).toThrow(/histograms\[1\]\.bins is 10 but histograms\[0\]\.bins is 100/);
  });
});
