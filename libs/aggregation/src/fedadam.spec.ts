import { describe, expect, it } from '@jest/globals';
import { FEDADAM_DEFAULTS, fedAdamOptionsProblem, fedAdamStep, type FedAdamMoments } from './fedadam';
import reference from '../fixtures/fedadam.json';

// Reference values: fixtures/fedadam.json, made by fixtures/make_fedadam_fixtures.py (numpy float64,
// Algorithm 2 of Reddi et al., ICLR 2021; numpy version in its `source`): three rounds per case.
describe('fedAdamStep', () => {
  it.each(reference.cases.map((c, i) => [i, c] as const))(
    'case %i: three rounds equal the numpy reference (Float64Array, 1e-12)',
    (_i, c) => {
      let global: Float64Array = Float64Array.from(c.initial);
      let moments: FedAdamMoments<Float64Array> | null = null;
      for (const step of c.steps) {
        const delta = Object.freeze([...step.delta]);
        ({ global, moments } = fedAdamStep(global, delta, moments, c.options));
        global.forEach((x, j) => expect(x).toBeCloseTo(step.global[j]!, 12));
        moments.m.forEach((x, j) => expect(x).toBeCloseTo(step.m[j]!, 12));
        moments.v.forEach((x, j) => expect(x).toBeCloseTo(step.v[j]!, 12));
      }
    },
  );

  it('Float32Array weights stay Float32Array and agree to float32 precision; slices step independently', () => {
    const c = reference.cases[0]!;
    let global: Float32Array = Float32Array.from(c.initial);
    let moments: FedAdamMoments<Float32Array> | null = null;
    for (const step of c.steps) {
      // Two chunks [0, 3) and [3, n) stepped separately give the whole step.
      const cut = 3;
      const head = fedAdamStep(
        global.subarray(0, cut),
        step.delta.slice(0, cut),
        moments && { m: moments.m.subarray(0, cut), v: moments.v.subarray(0, cut) },
        c.options,
      );
      const tail = fedAdamStep(
        global.subarray(cut),
        step.delta.slice(cut),
        moments && { m: moments.m.subarray(cut), v: moments.v.subarray(cut) },
        c.options,
      );
      const whole: { global: Float32Array; moments: FedAdamMoments<Float32Array> } = fedAdamStep(
        global,
        step.delta,
        moments,
        c.options,
      );
      expect(whole.global).toBeInstanceOf(Float32Array);
      expect(Array.from(whole.global)).toEqual([...head.global, ...tail.global]);
      global = whole.global;
      moments = whole.moments;
      global.forEach((x, j) => expect(Math.abs(x - step.global[j]!)).toBeLessThan(1e-6));
    }
  });

  it('leaves a weight no site moved where it was (Δ = 0 in every round)', () => {
    const c = reference.cases[0]!;
    expect(c.steps.every((s) => s.delta[0] === 0)).toBe(true);
    let global: Float64Array = Float64Array.from(c.initial);
    let moments: FedAdamMoments<Float64Array> | null = null;
    for (const step of c.steps) ({ global, moments } = fedAdamStep(global, step.delta, moments, c.options));
    expect(global[0]).toBe(c.initial[0]);
  });

  it('does not change its inputs', () => {
    const weights = Float32Array.of(1, 2);
    const delta = Float32Array.of(0.1, -0.1);
    const moments = { m: Float32Array.of(0.5, 0.5), v: Float32Array.of(1, 1) };
    fedAdamStep(weights, delta, moments, FEDADAM_DEFAULTS);
    expect([...weights, ...delta, ...moments.m, ...moments.v]).toEqual([
      1,
      2,
      Math.fround(0.1),
      Math.fround(-0.1),
      0.5,
      0.5,
      1,
      1,
    ]);
  });

  it('refuses bad options and mismatched lengths, naming the field', () => {
    expect(fedAdamOptionsProblem(FEDADAM_DEFAULTS)).toBeNull();
    expect(fedAdamOptionsProblem({ ...FEDADAM_DEFAULTS, beta1: 1 })).toBe('beta1 1 is not in [0, 1)');
    expect(fedAdamOptionsProblem({ ...FEDADAM_DEFAULTS, tau: 0 })).toBe('tau 0 is not a number > 0');
    expect(fedAdamOptionsProblem({ ...FEDADAM_DEFAULTS, learningRate: -1 })).toBe(
      'learning_rate -1 is not a number > 0',
    );
    expect(() => fedAdamStep(Float32Array.of(1), [1, 2], null, FEDADAM_DEFAULTS)).toThrow(
      /delta has 2 values, the weights 1/,
    );
    expect(() => fedAdamStep(Float32Array.of(1), [1], null, { ...FEDADAM_DEFAULTS, beta2: -0.1 })).toThrow(
      /beta2 -0.1/,
    );
  });
});
