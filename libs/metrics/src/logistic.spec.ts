import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitLogistic, logisticSufficientStats } from './logistic';
import { MetricsInputError } from './validate';

// Reference: R 4.x `summary(glm(y ~ ..., family = binomial, control = glm.control(epsilon = 1e-14)))`,
// written by libs/metrics/fixtures/make_calibration_fixtures.R (re-run it from the repository root).
interface GlmTable {
  coefficients: (number | null)[];
  std_errors: number[] | null;
  z: number[] | null;
  p: number[] | null;
  deviance: number;
  aliased: boolean;
  warnings: string[];
}
interface LogisticCase {
  name: string;
  X: number[][];
  y: number[];
  intercept: boolean;
  offset: number[] | null;
  glm: GlmTable;
}
const cases: LogisticCase[] = JSON.parse(readFileSync(join(__dirname, '../fixtures/logistic.json'), 'utf8'));
const byName = (name: string): LogisticCase => {
  const c = cases.find((x) => x.name === name);
  if (!c)
    throw new Error(`fixture case "${name}" missing from logistic.json; re-run make_calibration_fixtures.R`);
  return Object.freeze(c);
};
const fit = (c: LogisticCase) =>
  fitLogistic(c.X, c.y, { intercept: c.intercept, ...(c.offset ? { offset: c.offset } : {}) });

// Tolerances against glm: coefficients, SEs and z to 1e-10 relative (plus 1e-12 absolute; measured agreement is ~1e-14); deviance
// to 1e-10 relative; p to 1e-9 relative (it inherits z's error times |z|, and R's pnorm is exact).
function expectClose(actual: number[] | null, expected: (number | null)[] | null, rel: number): void {
  expect(actual).not.toBeNull();
  expect(actual!.length).toBe(expected!.length);
  actual!.forEach((a, j) => {
    const e = expected![j]!;
    expect(Math.abs(a - e)).toBeLessThanOrEqual(rel * Math.abs(e) + 1e-12);
  });
}

describe('fitLogistic against R glm', () => {
  const finite = [
    'six cases, one covariate',
    'n = 5',
    'clinical four features',
    'offset, no intercept',
    'n = 3000, two covariates',
  ];
  it.each(finite)('%s: coefficients, standard errors, Wald z and p, deviance', (name) => {
    const c = byName(name);
    expect(c.glm.warnings).toEqual([]);
    const f = fit(c);
    expect(f.reason).toBeNull();
    expect(f.converged).toBe(true);
    expectClose(f.coefficients, c.glm.coefficients, 1e-10);
    expectClose(f.std_errors, c.glm.std_errors, 1e-10);
    expectClose(f.z, c.glm.z, 1e-10);
    expectClose(f.p, c.glm.p, 1e-9);
    expect(Math.abs(f.deviance! - c.glm.deviance)).toBeLessThanOrEqual(1e-10 * c.glm.deviance);
  });

  it('takes Float64Array rows like arrays', () => {
    const c = byName('clinical four features');
    const f = fitLogistic(
      c.X.map((r) => Float64Array.from(r)),
      Int8Array.from(c.y),
    );
    expectClose(f.coefficients, c.glm.coefficients, 1e-10);
  });

  it.each(['complete separation', 'quasi-complete separation'])('%s: no MLE where glm warns', (name) => {
    const c = byName(name);
    // glm "converges" to huge coefficients with SEs ~1e7 and warns; the MLE is at infinity.
    expect(c.glm.warnings).toContain('glm.fit: fitted probabilities numerically 0 or 1 occurred');
    const f = fit(c);
    expect(f).toMatchObject({
      coefficients: null,
      std_errors: null,
      z: null,
      p: null,
      reason: 'separation',
      converged: false,
    });
  });

  it('outlying covariate: a finite MLE although glm warns of fitted probabilities 0 or 1', () => {
    const c = byName('outlying covariate');
    expect(c.glm.warnings).toContain('glm.fit: fitted probabilities numerically 0 or 1 occurred');
    const f = fit(c);
    expect(f.reason).toBeNull();
    expectClose(f.coefficients, c.glm.coefficients, 1e-10);
    expectClose(f.std_errors, c.glm.std_errors, 1e-10);
  });

  it('separation in n = 2000 is recognised by drift, well before maxIter', () => {
    // y = 1 exactly when x ≥ 1000: any slope → +∞ fits better, so there is no MLE (by construction).
    const X = Array.from({ length: 2000 }, (_, i) => [i / 100]);
    const y = X.map(([x]) => (x! >= 10 ? 1 : 0));
    const f = fitLogistic(X, y);
    expect(f.reason).toBe('separation');
    expect(f.iterations).toBeLessThan(50);
  });

  it('constant covariate beside the intercept: singular, where glm aliases the coefficient', () => {
    const c = byName('constant covariate');
    expect(c.glm.aliased).toBe(true);
    expect(fit(c)).toMatchObject({ coefficients: null, reason: 'singular' });
  });

  it('collinear columns and fewer cases than coefficients are singular', () => {
    const X = [
      [1, 2],
      [2, 4],
      [3, 6.000000000001],
      [4, 8],
    ];
    expect(fitLogistic(X, [0, 1, 0, 1]).reason).toBe('singular');
    expect(fitLogistic([[1, 2, 3]], [1], { intercept: false }).reason).toBe('singular');
  });

  it('one class with an intercept: no MLE (the intercept MLE is at ±∞)', () => {
    expect(fitLogistic([[1], [2], [3]], [1, 1, 1])).toMatchObject({
      coefficients: null,
      reason: 'one-class',
    });
    expect(fitLogistic([[1], [2], [3]], [0, 0, 0])).toMatchObject({
      coefficients: null,
      reason: 'one-class',
    });
  });

  it('intercept only: β̂ = logit(ȳ), SE = 1/√(n ȳ(1−ȳ)) (hand derivation: score n(ȳ − μ) = 0)', () => {
    const y = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]; // ȳ = 0.3
    const f = fitLogistic(
      y.map(() => []),
      y,
    );
    expect(f.coefficients![0]).toBeCloseTo(Math.log(0.3 / 0.7), 12);
    expect(f.std_errors![0]).toBeCloseTo(1 / Math.sqrt(10 * 0.3 * 0.7), 12);
  });

  it('rejects a label that is not 0/1 and ragged rows, naming them', () => {
    expect(() => fitLogistic([[1], [2]], [0, 2])).toThrow(MetricsInputError);
    expect(() => fitLogistic([[1], [2]], [0, 2])).toThrow('y[1] is 2');
    expect(() => fitLogistic([[1], [2, 3]], [0, 1])).toThrow('X[1] has 2 covariates');
    expect(() => fitLogistic([[1], [NaN]], [0, 1])).toThrow('X[1][0] is NaN');
  });
});

describe('logisticSufficientStats', () => {
  it('at β = 0: W = ¼, information XᵀX/4, score Xᵀ(y − ½), deviance 2n ln 2 (hand derivation)', () => {
    const s = logisticSufficientStats([[0], [1], [3]], [0, 1, 1], [0, 0]);
    // X = [[1,0],[1,1],[1,3]]: XᵀX = [[3,4],[4,10]]; y − ½ = [−½, ½, ½]: score = [½, 2].
    expect(Array.from(s.information)).toEqual([0.75, 1, 1, 2.5]);
    expect(Array.from(s.score)).toEqual([0.5, 2]);
    expect(s.deviance).toBeCloseTo(6 * Math.LN2, 14);
  });

  it('sums over a split of the cases to the statistics of the whole (federated IRLS)', () => {
    const c = byName('clinical four features');
    const beta = c.glm.coefficients as number[];
    const whole = logisticSufficientStats(c.X, c.y, beta);
    const a = logisticSufficientStats(c.X.slice(0, 100), c.y.slice(0, 100), beta);
    const b = logisticSufficientStats(c.X.slice(100), c.y.slice(100), beta);
    whole.information.forEach((v, i) => expect(a.information[i]! + b.information[i]!).toBeCloseTo(v, 9));
    // At glm's β̂ the score vanishes: the MLE's defining equation.
    whole.score.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-8));
    expect(a.deviance + b.deviance).toBeCloseTo(c.glm.deviance, 9);
  });
});
