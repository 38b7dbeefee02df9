import { describe, expect, it } from '@jest/globals';
import { createPrng, deriveSeed, shuffledIndices } from './prng';

describe('createPrng', () => {
  it('repeats for a seed and differs between neighbouring seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createPrng(seed).next);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws U[0,1) and N(0,1) with the right first two moments', () => {
    // For U(0,1): mean 1/2, variance 1/12; for N(0,1): 0 and 1. With n = 20000 the standard
    // error of a mean is ≤ 1/√20000 ≈ 0.007, so 0.03 is more than four standard errors.
    const rng = createPrng(123);
    const n = 20000;
    const u = Array.from({ length: n }, () => rng.next());
    const z = Array.from({ length: n }, () => rng.normal());
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = (xs: number[]) => {
      const m = mean(xs);
      return mean(xs.map((x) => (x - m) ** 2));
    };
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(mean(u)).toBeCloseTo(0.5, 1);
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.01);
    expect(Math.abs(mean(z))).toBeLessThan(0.03);
    expect(Math.abs(variance(z) - 1)).toBeLessThan(0.05);
  });
});

describe('deriveSeed', () => {
  it('depends on every part and on their order', () => {
    const seeds = new Set([deriveSeed(1, 2, 3), deriveSeed(1, 2, 4), deriveSeed(2, 1, 3), deriveSeed(1, 2)]);
    expect(seeds.size).toBe(4);
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
  });
});

describe('shuffledIndices', () => {
  it('is a permutation, and every position is equally likely over many seeds', () => {
    expect([...shuffledIndices(10, createPrng(1))].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    // Fisher–Yates is uniform: over 3000 shuffles of 3, each of the 3 items lands first ≈ 1000 times
    // (binomial sd ≈ 26, so ±150 is almost six sd).
    const first = [0, 0, 0];
    for (let s = 0; s < 3000; s++) first[shuffledIndices(3, createPrng(s))[0]!]!++;
    for (const count of first) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
