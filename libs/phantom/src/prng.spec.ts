import { describe, expect, it } from '@jest/globals';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { Rng } from './prng';

// The generator itself is checked against the reference C code in libs/site-data/src/prng.spec.ts.

describe('Rng', () => {
  const N = 20_000;

  it('is the project xoshiro128** stream: Rng.fromSeed(42, 1) draws what Xoshiro128StarStar does', () => {
    const [a, b] = [Rng.fromSeed(42, 1), Xoshiro128StarStar.fromSeed(42, 1)];
    expect(Array.from({ length: 4 }, () => a.nextFloat())).toEqual(
      Array.from({ length: 4 }, () => b.nextFloat()),
    );
    expect(Rng.fromSeed(1)).toBeInstanceOf(Rng);
  });

  it('normal has mean 0, variance 1 and P(|z| > 1.96) ≈ 0.05 (within 4 standard errors)', () => {
    const rng = Rng.fromSeed(8);
    const z = Array.from({ length: N }, () => rng.normal());
    const mean = z.reduce((a, b) => a + b, 0) / N;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / (N - 1);
    const tail = z.filter((v) => Math.abs(v) > 1.959964).length / N;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / N)); // Var(s²) = 2/N for N(0,1)
    expect(Math.abs(tail - 0.05)).toBeLessThan(4 * Math.sqrt((0.05 * 0.95) / N));
  });

  it('between lies in [lo, hi) and bernoulli(p) is true a share p of the time (within 4 standard errors)', () => {
    const rng = Rng.fromSeed(11);
    const x = Array.from({ length: N }, () => rng.between(-2, 3));
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...x)).toBeLessThan(3);
    const share = Array.from({ length: N }, () => rng.bernoulli(0.3)).filter(Boolean).length / N;
    expect(Math.abs(share - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / N));
  });

  it('categorical follows its probabilities', () => {
    const rng = Rng.fromSeed(10);
    const p = [0.2, 0.5, 0.3];
    const counts = [0, 0, 0];
    for (let i = 0; i < N; i++) counts[rng.categorical(p)]!++;
    counts.forEach((c, i) =>
      expect(Math.abs(c / N - p[i]!)).toBeLessThan(4 * Math.sqrt((p[i]! * (1 - p[i]!)) / N)),
    );
  });
});
