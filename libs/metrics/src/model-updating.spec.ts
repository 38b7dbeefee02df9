import { describe, expect, it } from '@jest/globals';
import { calibrationCase, type CalibrationCase } from '../fixtures/calibration-cases';
import { chiSquareSurvival } from './chi-square';
import { fitLogistic, logisticSufficientStats } from './logistic';
import { fitFeatureModelExtension, recalibrationByClosedTest } from './model-updating';
import { combinedRows, plattRows } from './nomogram';

// Reference: R glm, written by libs/metrics/fixtures/make_calibration_fixtures.R (as calibration.spec.ts):
//   in the large  coef and deviance of glm(y ~ 1, offset = qlogis(p), family = binomial)   (glm_citl)
//   logistic      coef and deviance of glm(y ~ qlogis(p), family = binomial)               (glm_joint)
// The original score's deviance −2 Σ [y log p + (1 − y) log(1 − p)] is summed here directly, and the
// closed test's choice follows Vergouwe et al. (Stat Med 36:4529, 2017) from those three deviances.
const byName = calibrationCase;
const near = (actual: number, expected: number, rel = 1e-9): void =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-10);

/** Two "sites": the case's first and second half, each answering with its own statistics. */
const plattSource = (c: CalibrationCase) => {
  const half = Math.floor(c.labels.length / 2);
  const parts = [
    [0, half],
    [half, c.labels.length],
  ].map(([a, b]) => ({ rows: plattRows(c.probs.slice(a, b)), y: c.labels.slice(a, b) }));
  return (beta: Float64Array) => parts.map((s) => logisticSufficientStats(s.rows, s.y, beta));
};
const originalDeviance = (c: CalibrationCase): number =>
  -2 * c.labels.reduce((s, y, i) => s + (y ? Math.log(c.probs[i]!) : Math.log(1 - c.probs[i]!)), 0);

describe('recalibration by closed testing, against R glm', () => {
  it.each([
    // LR logistic vs original 4.21 (2 df, p 0.12): the original score stands.
    ['n = 200, miscalibrated', 0.05, 'original'],
    ['n = 5', 0.05, 'original'],
    // 31.1 (p 1.8e-7), then logistic vs in the large 5.87 (1 df, p 0.015).
    ['n = 2500', 0.05, 'logistic'],
    ['n = 2500', 0.01, 'in-the-large'],
  ] as const)('%s at α = %s: %s', async (name, alpha, method) => {
    const c = byName(name);
    expect([...c.glm_citl.warnings, ...c.glm_joint.warnings]).toEqual([]);
    const r = (await recalibrationByClosedTest(plattSource(c), { alpha }))!;
    near(r.deviance['in-the-large'], c.glm_citl.deviance);
    near(r.deviance.logistic, c.glm_joint.deviance);
    near(r.deviance.original, originalDeviance(c));
    const t1 = originalDeviance(c) - c.glm_joint.deviance;
    const t2 = c.glm_citl.deviance - c.glm_joint.deviance;
    near(r.tests.logistic_vs_original.statistic, t1, 1e-7);
    near(r.tests.logistic_vs_in_the_large.statistic, t2, 1e-7);
    expect(r.tests.logistic_vs_original.p).toBeCloseTo(chiSquareSurvival(t1, 2), 8);
    expect(r.method).toBe(method);
    // Coefficients and standard errors as R's for the estimated terms; a term held fixed has SE 0.
    const expected = {
      original: { coefficients: [0, 1], se: [0, 0] },
      'in-the-large': { coefficients: [c.glm_citl.coefficients[0]!, 1], se: [c.glm_citl.std_errors[0]!, 0] },
      logistic: { coefficients: c.glm_joint.coefficients, se: c.glm_joint.std_errors },
    }[method];
    r.coefficients.forEach((v, j) => near(v, expected.coefficients[j]!));
    const se = expected.se;
    r.std_errors.forEach((v, j) => near(v, se[j]!, 1e-6));
  });

  it('gives null where the logistic recalibration has no MLE (one class)', async () => {
    expect(await recalibrationByClosedTest(plattSource(byName('one class')))).toBeNull();
  });
});

describe('the combined model as an extension of the four-feature model', () => {
  // Frozen: 12 cases of two sites, network probabilities and [size_mm, non-parallel, halo, spiculation].
  const P = Object.freeze([0.2, 0.7, 0.4, 0.9, 0.35, 0.6, 0.15, 0.8, 0.5, 0.3, 0.65, 0.45]);
  const Y = Object.freeze([0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0]);
  const SIZE = [12, 25, 18, 31, 22, 15, 9, 28, 20, 14, 26, 17];
  const NON_PARALLEL = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1];
  const HALO = [0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1];
  const SPICULATION = [1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0];
  const F = Object.freeze(SIZE.map((s, i) => [s, NON_PARALLEL[i]!, HALO[i]!, SPICULATION[i]!]));
  const FEATURES = Object.freeze([-2.5, 0.08, 0.6, 0.4, 0.9]);

  it('estimates only the intercept shift and the network weight: as glm(y ~ logit p, offset = the feature model’s linear predictor)', async () => {
    const rows = combinedRows(P, F);
    const sites = [
      { rows: rows.slice(0, 7), y: Y.slice(0, 7) },
      { rows: rows.slice(7), y: Y.slice(7) },
    ];
    const r = await fitFeatureModelExtension(
      (beta) => sites.map((s) => logisticSufficientStats(s.rows, s.y, beta)),
      FEATURES,
    );
    // The same model by the pooled offset fit (fitLogistic's offset is tested against R glm in logistic.spec.ts).
    const lp = F.map((f) => FEATURES[0]! + f.reduce((s, v, j) => s + v * FEATURES[j + 1]!, 0));
    const direct = fitLogistic(plattRows(P), Y, { offset: lp });
    const [a, c] = direct.coefficients!;
    const expected = [FEATURES[0]! + a!, c!, ...FEATURES.slice(1)];
    r.coefficients!.forEach((v, j) => near(v, expected[j]!, 1e-8));
    near(r.fit.deviance!, direct.deviance!, 1e-9);
    expect(r.fit.coefficients).toHaveLength(2);
  });
});
