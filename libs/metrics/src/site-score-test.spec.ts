import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitLogistic, logisticSufficientStats } from './logistic';
import { siteScoreTests, stepDownSiteScoreTests } from './site-score-test';
import { MetricsInputError } from './validate';

// Reference: libs/metrics/fixtures/make_site_score_test.py (numpy 2.4.6, scipy 1.17.1): the pooled MLE by
// Newton–Raphson on the concatenated rows, each site's statistic from the augmented design's full
// information (not the Schur form on summed site statistics used here), p from scipy.stats.chi2.sf.
interface Test {
  statistic: number;
  df: number;
  p: number;
}
interface Case {
  name: string;
  sites: { rows: number[][]; labels: number[] }[];
  beta: number[];
  tests: { none: Test[]; intercept: Test[] };
}
const cases = (
  JSON.parse(readFileSync(join(__dirname, '../fixtures/site_score_test.json'), 'utf8')) as { cases: Case[] }
).cases;
const statsAtFit = (c: Case) => {
  const fit = fitLogistic(
    c.sites.flatMap((s) => s.rows),
    c.sites.flatMap((s) => s.labels),
  );
  return c.sites.map((s) => logisticSufficientStats(s.rows, s.labels, fit.coefficients!));
};

describe('siteScoreTests', () => {
  it.each(cases)('$name: every site as the augmented-design computation (numpy) gives', (c) => {
    const stats = statsAtFit(c);
    for (const [variant, free] of [
      ['none', []],
      ['intercept', [0]],
    ] as const) {
      siteScoreTests(stats, { free }).forEach((t, i) => {
        const want = c.tests[variant][i]!;
        expect(t.df).toBe(want.df);
        expect(t.statistic!).toBeCloseTo(want.statistic, 6);
        expect(Math.abs(t.p! - want.p)).toBeLessThanOrEqual(1e-6 * Math.max(want.p, 1e-6));
      });
    }
  });

  it('tells the shuffled site apart only once the sites’ own baseline odds are free', () => {
    const [, five] = cases;
    const stats = statsAtFit(five!);
    const free = siteScoreTests(stats, { free: [0] }).map((t) => t.p!);
    // site 3 (index 2) has shuffled labels: p 4.3e-14 in the fixture; the honest ones ≥ 0.0074
    expect(free[2]).toBeLessThan(1e-10);
    expect(Math.min(...free.filter((_, i) => i !== 2))).toBeGreaterThan(1e-3);
    // testing the intercept too, honest site 1 (its baseline odds are the fixture's lowest) gets p 8e-5
    const none = siteScoreTests(stats).map((t) => t.p!);
    expect(none[0]).toBeLessThan(1e-3);
  });

  it('has no test for a lone site (its information is all of the pooled one)', () => {
    const [four] = cases;
    const s = four!.sites[0]!;
    const fit = fitLogistic(s.rows, s.labels);
    const [t] = siteScoreTests([logisticSufficientStats(s.rows, s.labels, fit.coefficients!)], { free: [0] });
    expect(t).toEqual({ statistic: null, df: 1, p: null });
  });

  it('refuses no statistics, mixed k and a free index out of range, naming the value', () => {
    const stats = statsAtFit(cases[0]!);
    expect(() => siteScoreTests([])).toThrow(MetricsInputError);
    expect(() => siteScoreTests(stats, { free: [2] })).toThrow(
      /free holds 2; expected coefficient indices 0…1/,
    );
    const other = logisticSufficientStats([[1, 2]], [1], [0, 0, 0]);
    expect(() => siteScoreTests([stats[0]!, other])).toThrow(/stats\[1\] has k = 3; expected k = 2/);
  });
});

describe('stepDownSiteScoreTests', () => {
  it('flags the shuffled site, then tests the rest against their own fit, so an honest site it pulled is no longer flagged', () => {
    const five = cases[1]!;
    const stats = statsAtFit(five);
    const stepped = stepDownSiteScoreTests(stats, 0.05 / 5, { free: [0] });
    expect(stepped.map((t) => t.flagged)).toEqual([false, false, true, false, false]);
    // the flagged site keeps the test it was flagged on: the single-step one
    expect(stepped[2]!.statistic).toBe(siteScoreTests(stats, { free: [0] })[2]!.statistic);
    // Reference for the others: the score tests at the exact pooled fit of the four remaining sites
    // (fitLogistic on their rows, itself checked against R's glm).
    // One step with the informations of the first fit is an approximation: here 1.70, 4.11, 2.27, 3.20
    // against the refit's 2.28, 5.00, 1.86, 3.72 (within 30 %), and the same decisions (none < 0.01).
    const rest = { ...five, sites: five.sites.filter((_, i) => i !== 2) };
    const refit = siteScoreTests(statsAtFit(rest), { free: [0] });
    [0, 1, 3, 4].forEach((site, j) => {
      const want = refit[j]!.statistic!;
      expect(Math.abs(stepped[site]!.statistic! - want)).toBeLessThanOrEqual(0.3 * want);
      expect(refit[j]!.p! < 0.05 / 5).toBe(false);
    });
    // Without the step, honest site 2 (index 1) is at p 0.0075 < 0.01, pulled by the shuffled site's
    // flat slopes; against the others' fit it is at 0.13 (refit 0.08).
    expect(siteScoreTests(stats, { free: [0] })[1]!.p!).toBeLessThan(0.05 / 5);
    expect(stepped[1]!.p!).toBeGreaterThan(0.05);
  });

  it('flags nothing and returns the single-step tests when no site is below the threshold', () => {
    const stats = statsAtFit(cases[0]!);
    const stepped = stepDownSiteScoreTests(stats, 1e-6, { free: [0] });
    expect(stepped.map((t) => t.flagged)).toEqual([false, false, false, false]);
    stepped.forEach((t, i) => expect(t.p).toBe(siteScoreTests(stats, { free: [0] })[i]!.p));
  });

  it('with three sites flags the shuffled one and leaves the other two untested (each mirrors the other)', () => {
    const five = cases[1]!;
    const three = { ...five, sites: five.sites.slice(0, 3) };
    const stepped = stepDownSiteScoreTests(statsAtFit(three), 0.05 / 3, { free: [0] });
    expect(stepped.map((t) => t.flagged)).toEqual([false, false, true]);
    expect(stepped[0]).toEqual({ statistic: null, df: 2, p: null, flagged: false });
    expect(stepped[1]).toEqual({ statistic: null, df: 2, p: null, flagged: false });
  });
});
