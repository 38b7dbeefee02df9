import { describe, expect, it } from '@jest/globals';
import { calibrationCase } from '../fixtures/calibration-cases';
import { calibration } from './calibration';
import { MetricsInputError } from './validate';

// Reference: R glm, written by libs/metrics/fixtures/make_calibration_fixtures.R —
//   intercept        = coef(glm(y ~ 1, offset = qlogis(p), family = binomial))
//   slope, intercept_joint = coef(glm(y ~ qlogis(p), family = binomial))
// on the cases with 0 < p < 1. Tolerance: 1e-10 relative + 1e-12 absolute (the fits agree to ~1e-14).
const byName = calibrationCase;
const expectNear = (actual: number | null, expected: number | null | undefined): void => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected!)).toBeLessThanOrEqual(1e-10 * Math.abs(expected!) + 1e-12);
};

describe('calibration against R glm', () => {
  it.each(['n = 200, miscalibrated', 'p exactly 0 and 1 dropped', 'n = 5', 'n = 2500'])('%s', (name) => {
    const c = byName(name);
    expect(c.glm_citl.warnings).toEqual([]);
    expect(c.glm_joint.warnings).toEqual([]);
    const cal = calibration(c.labels, c.probs);
    expectNear(cal.intercept, c.glm_citl.coefficients[0]);
    expectNear(cal.intercept_joint, c.glm_joint.coefficients[0]);
    expectNear(cal.slope, c.glm_joint.coefficients[1]);
  });

  it('drops p = 0 and p = 1 (four such cases in the fixture, as R drops them)', () => {
    const c = byName('p exactly 0 and 1 dropped');
    expect(c.probs.filter((p) => p === 0 || p === 1)).toHaveLength(4);
    expect(c.n_used).toBe(c.probs.length - 4);
  });

  it('constant p: calibration-in-the-large = logit(ȳ) − logit(p) exists; slope does not', () => {
    const c = byName('constant p');
    // R's joint fit does not even flag the collinearity: it returns coefficients ~1e15 with equal z.
    expect(Math.abs(c.glm_joint.coefficients[1]!)).toBeGreaterThan(1e10);
    const cal = calibration(c.labels, c.probs);
    expectNear(cal.intercept, c.glm_citl.coefficients[0]);
    // Hand derivation: ȳ = 3/8, so a = logit(3/8) − logit(0.3).
    expect(cal.intercept).toBeCloseTo(Math.log(3 / 5) - Math.log(3 / 7), 12);
    expect(cal.slope).toBeNull();
    expect(cal.intercept_joint).toBeNull();
  });

  it('p separating the classes: slope has no MLE (glm warns), calibration-in-the-large does', () => {
    const c = byName('p separates the classes');
    expect(c.glm_joint.warnings).toContain('glm.fit: fitted probabilities numerically 0 or 1 occurred');
    expect(c.glm_citl.warnings).toEqual([]);
    const cal = calibration(c.labels, c.probs);
    expectNear(cal.intercept, c.glm_citl.coefficients[0]);
    expect(cal.slope).toBeNull();
    expect(cal.intercept_joint).toBeNull();
  });

  it('one class: nothing exists (glm drifts to −31 and warns)', () => {
    const c = byName('one class');
    expect(c.glm_citl.warnings.length).toBeGreaterThan(0);
    expect(calibration(c.labels, c.probs)).toEqual({ intercept: null, slope: null, intercept_joint: null });
  });

  it('only p ∈ {0, 1}, or no cases: all null', () => {
    expect(calibration([0, 1, 1], [0, 1, 1])).toEqual({
      intercept: null,
      slope: null,
      intercept_joint: null,
    });
    expect(calibration([], [])).toEqual({ intercept: null, slope: null, intercept_joint: null });
  });

  it('rejects a probability outside [0, 1] and a bad label, naming the position', () => {
    expect(() => calibration([0, 1], [0.2, 1.5])).toThrow(MetricsInputError);
    expect(() => calibration([0, 1], [0.2, 1.5])).toThrow('probs[1] is 1.5');
    expect(() => calibration([0, 3], [0.2, 0.5])).toThrow('labels[1] is 3');
  });
});
