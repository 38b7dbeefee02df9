import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitFederatedLogistic, logisticPredict, sumSufficientStats } from './federated-logistic';
import { fitLogistic, logisticSufficientStats, type LogisticFit } from './logistic';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { MetricsInputError } from './validate';

// Reference 1: R `summary(glm(y ~ ., family = binomial))` on the pooled rows, from
// libs/metrics/fixtures/logistic.json (written by make_calibration_fixtures.R).
// Reference 2: fitLogistic on the concatenated rows (itself checked against glm in logistic.spec.ts).
interface LogisticCase {
  name: string;
  X: number[][];
  y: number[];
  glm: { coefficients: number[]; std_errors: number[]; z: number[]; p: number[]; deviance: number };
}
const fixtures: LogisticCase[] = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/logistic.json'), 'utf8'),
);
const fixture = (name: string): LogisticCase => Object.freeze(fixtures.find((c) => c.name === name)!);

interface Site {
  X: number[][];
  y: number[];
}
/** Splits rows into sites of the given sizes, in order. */
function split(c: { X: number[][]; y: number[] }, sizes: number[]): Site[] {
  let at = 0;
  return sizes.map((size) => {
    const site = { X: c.X.slice(at, at + size), y: c.y.slice(at, at + size) };
    at += size;
    return site;
  });
}
const localSource = (sites: Site[]) => (beta: Float64Array) =>
  sites.map((s) => logisticSufficientStats(s.X, s.y, beta));

function expectClose(actual: number[] | null, expected: number[] | null, rel: number): void {
  expect(actual).not.toBeNull();
  expect(actual!).toHaveLength(expected!.length);
  actual!.forEach((a, j) =>
    expect(Math.abs(a - expected![j]!)).toBeLessThanOrEqual(rel * Math.abs(expected![j]!) + 1e-12),
  );
}
function expectSameFit(actual: LogisticFit, expected: LogisticFit): void {
  expect(actual.reason).toBe(expected.reason);
  expect(actual.converged).toBe(expected.converged);
  expectClose(actual.coefficients, expected.coefficients, 1e-10);
  expectClose(actual.std_errors, expected.std_errors, 1e-10);
  expectClose(actual.z, expected.z, 1e-10);
  expectClose(actual.p, expected.p, 1e-9);
  expect(Math.abs(actual.deviance! - expected.deviance!)).toBeLessThanOrEqual(1e-10 * expected.deviance!);
}

/** Seeded four-feature rows with a site-specific case mix. */
function clinicalSite(n: number, seed: number, sizeMedian: number, pNonParallel: number): Site {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const size =
      Math.round(sizeMedian * Math.exp(0.4 * (rng.nextFloat() + rng.nextFloat() - 1) * 2) * 10) / 10;
    const row = [
      size,
      rng.nextFloat() < pNonParallel ? 1 : 0,
      rng.nextFloat() < 0.28 ? 1 : 0,
      rng.nextFloat() < 0.2 ? 1 : 0,
    ];
    const eta = -3 + 0.06 * size + 1.0 * row[1]! + 1.2 * row[2]! + 0.8 * row[3]!;
    X.push(row);
    y.push(rng.nextFloat() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
  }
  return { X, y };
}

describe('fitFederatedLogistic', () => {
  it('clinical four features split over three sites: R glm on the pooled rows', async () => {
    const c = fixture('clinical four features');
    const fit = await fitFederatedLogistic(localSource(split(c, [100, 37, 123])), { k: 5 });
    expect(fit.reason).toBeNull();
    expectClose(fit.coefficients, c.glm.coefficients, 1e-10);
    expectClose(fit.std_errors, c.glm.std_errors, 1e-10);
    expectClose(fit.z, c.glm.z, 1e-10);
    expectClose(fit.p, c.glm.p, 1e-9);
    expect(Math.abs(fit.deviance! - c.glm.deviance)).toBeLessThanOrEqual(1e-10 * c.glm.deviance);
  });

  it('seeded sites with different case mixes: fitLogistic on the concatenation', async () => {
    const sites = [
      clinicalSite(150, 1, 18, 0.3),
      clinicalSite(90, 2, 24, 0.45),
      clinicalSite(260, 3, 15, 0.2),
    ];
    // The coordinator's source answers asynchronously.
    const source = async (beta: Float64Array) => localSource(sites)(beta);
    const fit = await fitFederatedLogistic(source, { k: 5 });
    const pooled = fitLogistic(
      sites.flatMap((s) => s.X),
      sites.flatMap((s) => s.y),
    );
    expectSameFit(fit, pooled);
    expect(fit.iterations).toBe(pooled.iterations);
    // One request at β = 0, then at least one per iteration.
    expect(fit.requests).toBeGreaterThanOrEqual(fit.iterations + 1);
  });

  it('no intercept: as fitLogistic with intercept false', async () => {
    const c = fixture('six cases, one covariate');
    const sites = split(c, [3, 3]);
    const fit = await fitFederatedLogistic(
      (beta) => sites.map((s) => logisticSufficientStats(s.X, s.y, beta, { intercept: false })),
      { k: 1, intercept: false },
    );
    expectSameFit(fit, fitLogistic(c.X, c.y, { intercept: false }));
  });

  it.each(['complete separation', 'quasi-complete separation'])(
    '%s: no MLE, as fitLogistic',
    async (name) => {
      const c = fixture(name);
      const half = Math.floor(c.y.length / 2);
      const fit = await fitFederatedLogistic(localSource(split(c, [half, c.y.length - half])), {
        k: c.X[0]!.length + 1,
      });
      expect(fitLogistic(c.X, c.y).reason).toBe('separation');
      expect(fit).toMatchObject({ coefficients: null, reason: 'separation', converged: false });
    },
  );

  it('one class over all sites; a constant covariate (singular): as fitLogistic', async () => {
    const oneClass = [
      { X: [[1], [2]], y: [0, 0] },
      { X: [[3]], y: [0] },
    ];
    expect(fitLogistic([[1], [2], [3]], [0, 0, 0]).reason).toBe('one-class');
    expect(await fitFederatedLogistic(localSource(oneClass), { k: 2 })).toMatchObject({
      reason: 'one-class',
      requests: 1,
    });
    // One site all negative, the other all positive: pooled there are two classes.
    const mixed = [
      { X: [[1], [2], [4]], y: [0, 0, 1] },
      { X: [[3], [5]], y: [1, 0] },
    ];
    expectSameFit(
      await fitFederatedLogistic(localSource(mixed), { k: 2 }),
      fitLogistic([[1], [2], [4], [3], [5]], [0, 0, 1, 1, 0]),
    );
    const constant = [
      {
        X: [
          [1, 7],
          [2, 7],
        ],
        y: [0, 1],
      },
      {
        X: [
          [3, 7],
          [4, 7],
        ],
        y: [1, 0],
      },
    ];
    expect(
      fitLogistic(
        constant.flatMap((s) => s.X),
        [0, 1, 1, 0],
      ).reason,
    ).toBe('singular');
    expect(await fitFederatedLogistic(localSource(constant), { k: 3 })).toMatchObject({ reason: 'singular' });
  });

  it('refuses sites with a different number of coefficients', async () => {
    const source = (beta: Float64Array) => [
      logisticSufficientStats([[1], [2]], [0, 1], beta),
      logisticSufficientStats([[1, 0]], [1], new Float64Array(3)),
    ];
    await expect(fitFederatedLogistic(source, { k: 2 })).rejects.toThrow(/stats\[1\] has k = 3/);
    await expect(fitFederatedLogistic(() => [], { k: 2 })).rejects.toThrow(MetricsInputError);
  });
});

describe('sumSufficientStats', () => {
  it('hand example: two one-row sites at β = 0 are the two-row statistics', () => {
    // logisticSufficientStats doc: x = [0, 1], y = [0, 1] at β = 0 gives information
    // [0.5, 0.25; 0.25, 0.25] and score [0, 0.5] (μ = ½, W = ¼).
    const beta = [0, 0];
    const s = sumSufficientStats([
      logisticSufficientStats([[0]], [0], beta),
      logisticSufficientStats([[1]], [1], beta),
    ]);
    expect(Array.from(s.information)).toEqual([0.5, 0.25, 0.25, 0.25]);
    expect(Array.from(s.score)).toEqual([0, 0.5]);
    expect(s.deviance).toBeCloseTo(4 * Math.LN2, 14);
  });
});

describe('logisticPredict', () => {
  it('hand values: expit(0) = ½, expit(ln 3) = ¾, and no overflow far out', () => {
    const p = logisticPredict([[0], [1], [1000], [-1000]], [0, Math.log(3)]);
    expect(p[0]).toBe(0.5);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(p[2]).toBe(1);
    expect(p[3]).toBe(0);
    expect(() => logisticPredict([[1, 2, 3]], [0, 1])).toThrow(/X\[0\] has 3 covariates for 2 coefficients/);
  });
});
