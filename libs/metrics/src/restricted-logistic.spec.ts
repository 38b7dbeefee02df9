import { describe, expect, it } from '@jest/globals';
import { fitLogistic, logisticSufficientStats } from './logistic';
import { fitRestrictedLogistic, restrictedBeta, restrictedStats } from './restricted-logistic';
import { MetricsInputError } from './validate';

// Frozen inputs: 10 cases, two covariates.
const X = Object.freeze([
  [0.5, 1.2],
  [-1.1, 0.3],
  [2.0, -0.7],
  [0.1, 0.9],
  [-0.4, -1.5],
  [1.3, 0.2],
  [-2.2, 1.1],
  [0.8, -0.3],
  [-0.6, 0.6],
  [1.7, 1.4],
]);
const Y = Object.freeze([1, 0, 0, 1, 0, 1, 1, 0, 1, 0]);
const collect = (beta: Float64Array) => [
  logisticSufficientStats(X.slice(0, 4), Y.slice(0, 4), beta),
  logisticSufficientStats(X.slice(4), Y.slice(4), beta),
];

describe('restricted logistic fits', () => {
  it('β = b + Tγ, and γ’s statistics are TᵀIT, Tᵀs and the same deviance (by hand for T = (1, 0, 2)ᵀ)', () => {
    expect(Array.from(restrictedBeta({ base: [0.5, 1, 0], map: [[1], [0], [2]] }, [0.25]))).toEqual([
      0.75, 1, 0.5,
    ]);
    const s = logisticSufficientStats(X, Y, [0.1, -0.2, 0.3]);
    const r = restrictedStats(s, [[1], [0], [2]]);
    const I = s.information;
    expect(r.k).toBe(1);
    expect(r.score[0]).toBeCloseTo(s.score[0]! + 2 * s.score[2]!, 12);
    expect(r.information[0]).toBeCloseTo(I[0]! + 2 * I[2]! + 2 * I[6]! + 4 * I[8]!, 12);
    expect(r.deviance).toBe(s.deviance);
  });

  it('with a coefficient fixed, equals fitLogistic with that term as an offset', async () => {
    // logit P = β₀ + β₁x₁ + 0.8·x₂: x₂'s coefficient fixed at 0.8.
    const r = await fitRestrictedLogistic(collect, {
      base: [0, 0, 0.8],
      map: [
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    });
    const direct = fitLogistic(
      X.map((x) => [x[0]!]),
      Y,
      { offset: X.map((x) => 0.8 * x[1]!) },
    );
    const expected = [...direct.coefficients!, 0.8];
    r.coefficients!.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 9));
    expect(r.fit.std_errors![1]).toBeCloseTo(direct.std_errors![1]!, 9);
    expect(r.fit.deviance).toBeCloseTo(direct.deviance!, 9);
  });

  it('with the identity restriction, equals the unrestricted fit', async () => {
    const r = await fitRestrictedLogistic(collect, {
      base: [0, 0, 0],
      map: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    });
    const direct = fitLogistic(X, Y);
    r.coefficients!.forEach((v, j) => expect(v).toBeCloseTo(direct.coefficients![j]!, 9));
  });

  it('refuses a map whose rows do not match base', async () => {
    await expect(fitRestrictedLogistic(collect, { base: [0, 0, 0], map: [[1], [0]] })).rejects.toThrow(
      MetricsInputError,
    );
  });
});
