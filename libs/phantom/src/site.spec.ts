import { describe, expect, it } from '@jest/globals';
import { auc } from '@fedaln/metrics';
import { drawCase } from './case';
import { COHORT_MIX } from './features';
import { siteProfile } from './site';

const SEED = 42;
const SITES = [1, 2, 3, 4, 5, 6].map((i) => siteProfile(i, SEED, 1));
const PER_SITE = 400;
const draws = SITES.map((s) => Array.from({ length: PER_SITE }, (_, i) => drawCase(s, i)));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};
/** Spearman rank correlation (no ties expected in these continuous values). */
const spearman = (a: number[], b: number[]) => {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const [ra, rb] = [rank(a), rank(b)];
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
};

describe('siteProfile', () => {
  it('is a pure function of (index, seed) and names sites site1, site2, …', () => {
    expect(siteProfile(3, SEED)).toEqual(siteProfile(3, SEED));
    expect(SITES.map((s) => s.name)).toEqual(['site1', 'site2', 'site3', 'site4', 'site5', 'site6']);
    expect(siteProfile(3, SEED + 1).scanner).not.toEqual(siteProfile(3, SEED).scanner);
    expect(() => siteProfile(0, SEED)).toThrow(/site index 0 must be an integer ≥ 1/);
  });

  it('gives each site its own scanner within plausible clinical ranges', () => {
    const gains = new Set(SITES.map((s) => s.scanner.gainDb));
    expect(gains.size).toBe(SITES.length);
    for (const { scanner } of SITES) {
      expect(scanner.centreFrequencyMHz).toBeGreaterThanOrEqual(7); // breast linear probes: 7–15 MHz
      expect(scanner.centreFrequencyMHz).toBeLessThanOrEqual(15);
      expect(scanner.dynamicRangeDb).toBeGreaterThanOrEqual(45);
      expect(scanner.dynamicRangeDb).toBeLessThanOrEqual(65);
      expect(scanner.lateralPsfMm).toBeGreaterThan(scanner.axialPsfMm); // beam wider than pulse
    }
  });
});

describe('case mix differs between sites (non-IID)', () => {
  it('observed median sizes follow each site’s size distribution (Spearman ρ ≥ 0.8 over 6 sites)', () => {
    const observed = draws.map((d) => median(d.map((c) => c.features.sizeMm)));
    const expected = SITES.map((s) => s.mix.sizeMedianMm);
    expect(spearman(observed, expected)).toBeGreaterThanOrEqual(0.8);
    // The sites with the smallest and largest median differ clearly: size separates them with AUC > 0.6.
    const lo = expected.indexOf(Math.min(...expected));
    const hi = expected.indexOf(Math.max(...expected));
    const sizes = [...draws[lo]!, ...draws[hi]!].map((c) => c.features.sizeMm);
    const which = [...draws[lo]!.map(() => 0), ...draws[hi]!.map(() => 1)];
    expect(auc(which, sizes)!).toBeGreaterThan(0.6);
  });

  it('prevalence differs between sites and tracks the sites’ mean risk', () => {
    const prevalence = draws.map((d) => d.reduce((a, c) => a + c.label, 0) / PER_SITE);
    const meanRisk = draws.map((d) => d.reduce((a, c) => a + c.risk, 0) / PER_SITE);
    expect(Math.max(...prevalence) - Math.min(...prevalence)).toBeGreaterThan(0.08);
    expect(spearman(prevalence, meanRisk)).toBeGreaterThanOrEqual(0.7);
  });

  it('feature frequencies scatter around the cohort’s', () => {
    const pNonParallel = draws.map(
      (d) => d.filter((c) => c.features.orientation === 'non-parallel').length / PER_SITE,
    );
    for (const p of pNonParallel) expect(Math.abs(p - COHORT_MIX.pNonParallel)).toBeLessThan(0.15);
    expect(new Set(pNonParallel).size).toBeGreaterThan(1);
  });
});
