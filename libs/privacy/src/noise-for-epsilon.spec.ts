import { describe, expect, it } from '@jest/globals';
import { dpSgdEpsilon } from './dp-sgd-epsilon';
import { noiseForEpsilon } from './noise-for-epsilon';

describe('noiseForEpsilon', () => {
  it("inverts dpSgdEpsilon: σ 1.1 on TF Privacy's MNIST set-up spends ε ≈ 2.597 (fixture), so asking for that ε gives σ ≈ 1.1", () => {
    const steps = { samplingRate: 256 / 60000, steps: 14062 };
    const target = dpSgdEpsilon({ noiseMultiplier: 1.1, ...steps }, 1e-5).epsilon;
    const found = noiseForEpsilon(target, steps, 1e-5)!;
    expect(Math.abs(found.noiseMultiplier - 1.1)).toBeLessThanOrEqual(2e-6 * 1.1);
    expect(found.epsilon).toBeLessThanOrEqual(target);
  });

  it('gives the smallest σ: 0.1% less noise overshoots the target', () => {
    const steps = { samplingRate: 0.02, steps: 5000 };
    const found = noiseForEpsilon(8, steps, 1e-5)!;
    expect(found.epsilon).toBeLessThanOrEqual(8);
    expect(
      dpSgdEpsilon({ noiseMultiplier: found.noiseMultiplier * 0.999, ...steps }, 1e-5).epsilon,
    ).toBeGreaterThan(8);
  });

  it('is monotone: a tighter budget needs more noise', () => {
    const steps = { samplingRate: 0.01, steps: 10000 };
    const sigmas = [16, 8, 4, 2, 1].map((e) => noiseForEpsilon(e, steps, 1e-5)!.noiseMultiplier);
    sigmas.slice(1).forEach((s, k) => expect(s).toBeGreaterThan(sigmas[k]!));
  });

  it('is undefined when no σ up to 10⁴ reaches the target, and refuses a non-positive target', () => {
    // q = 1, T = 10⁹: even σ = 10⁴ spends ε ≈ 19.05 at δ = 1e-5 (α/(2σ²) per step, order 2.5).
    expect(noiseForEpsilon(0.01, { samplingRate: 1, steps: 1e9 }, 1e-5)).toBeUndefined();
    expect(() => noiseForEpsilon(0, { samplingRate: 0.1, steps: 10 }, 1e-5)).toThrow(
      'target epsilon 0 is not a positive number',
    );
  });
});
