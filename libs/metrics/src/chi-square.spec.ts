import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chiSquareSurvival, logGamma } from './chi-square';
import { MetricsInputError } from './validate';

// Reference: scipy.stats.chi2.sf (scipy 1.17.1), written by libs/metrics/fixtures/make_site_score_test.py.
const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/site_score_test.json'), 'utf8')) as {
  chi2: { x: number; df: number; sf: number }[];
};

describe('chiSquareSurvival', () => {
  it.each(fixture.chi2)('P(χ²_$df > $x) matches scipy.stats.chi2.sf', ({ x, df, sf }) => {
    expect(Math.abs(chiSquareSurvival(x, df) - sf)).toBeLessThanOrEqual(1e-12 * Math.max(sf, 1e-3));
  });

  it('gives 1 at x ≤ 0 and 0 at +∞', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(-1, 3)).toBe(1);
    expect(chiSquareSurvival(Infinity, 3)).toBe(0);
  });

  it('refuses a bad df or a NaN statistic, naming the value', () => {
    expect(() => chiSquareSurvival(1, 0)).toThrow(MetricsInputError);
    expect(() => chiSquareSurvival(1, 0)).toThrow(/df is 0/);
    expect(() => chiSquareSurvival(NaN, 2)).toThrow(/x is NaN/);
  });
});

describe('logGamma', () => {
  it('matches ln((n−1)!) and ln Γ(½) = ½ ln π', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});
