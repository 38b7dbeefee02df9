import { describe, expect, it } from '@jest/globals';
import { deriveSeed, Rng, splitmix32 } from './prng';

// Reference values: the xoshiro128** 1.1 reference C code (https://prng.di.unimi.it/xoshiro128starstar.c,
// `next()` copied verbatim) and splitmix32 (`z = (x += 0x9e3779b9); z = (z ^ z>>16) * 0x85ebca6b;
// z = (z ^ z>>13) * 0xc2b2ae35; return z ^ z>>16;` on uint32_t), compiled with gcc 12 -O2 and run:
//   xoshiro128** from {1,2,3,4}: 11520 0 5927040 70819200 2031721883 1637235492
//   splitmix32 from 0: 2462723854 1020716019 454327756 1275600319
//   splitmix32 from 42: 939911724 3948730756 321366731 3317318717
//   xoshiro128** seeded by four splitmix32(42) outputs: 2837322924 544945897 479756282 3500138142 339756180 113173290
// The first output from {1,2,3,4} also follows by hand: rotl(2·5, 7)·9 = 1280·9 = 11520.

describe('xoshiro128** and splitmix32 against the reference C code', () => {
  it('xoshiro128** from state {1, 2, 3, 4}', () => {
    const rng = new Rng([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('splitmix32 from 0 and from 42', () => {
    const a = splitmix32(0);
    expect([a(), a(), a(), a()]).toEqual([2462723854, 1020716019, 454327756, 1275600319]);
    const b = splitmix32(42);
    expect([b(), b(), b(), b()]).toEqual([939911724, 3948730756, 321366731, 3317318717]);
  });

  it('fromSeed fills the state with four splitmix32 outputs', () => {
    const rng = Rng.fromSeed(42);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290,
    ]);
  });

  it('rejects the all-zero state, which xoshiro never leaves', () => {
    expect(() => new Rng([0, 0, 0, 0])).toThrow(/all zero/);
  });
});

describe('derived distributions', () => {
  const N = 20_000;

  it('uniform lies in [0, 1) with mean 1/2 and variance 1/12 (within 4 standard errors)', () => {
    const rng = Rng.fromSeed(7);
    const u = Array.from({ length: N }, () => rng.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const mean = u.reduce((a, b) => a + b, 0) / N;
    const variance = u.reduce((a, b) => a + (b - mean) ** 2, 0) / (N - 1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    // Var of the sample variance of U(0,1): (1/80 − 1/144)/N.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / N));
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

  it('int(n) covers 0..n−1 evenly (chi-square, 9 df, below the 0.999 quantile 27.88)', () => {
    const rng = Rng.fromSeed(9);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < N; i++) counts[rng.int(10)]!++;
    const chi2 = counts.reduce((a, c) => a + (c - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(27.88);
    expect(() => rng.int(0)).toThrow(/not in 1\.\.2\^32/);
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

describe('deriveSeed', () => {
  it('gives distinct streams for different keys and key orders, and the same for the same keys', () => {
    const seeds = new Set<number>();
    for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) seeds.add(deriveSeed(42, a, b));
    expect(seeds.size).toBe(400);
    expect(deriveSeed(42, 1, 7)).not.toBe(deriveSeed(42, 7, 1));
    expect(deriveSeed(42, 1, 7)).toBe(deriveSeed(42, 1, 7));
    expect(deriveSeed(1, 3)).not.toBe(deriveSeed(2, 3));
  });
});
