import { describe, expect, it } from '@jest/globals';
import {
  createPrng,
  deriveSeed,
  fmix32,
  shuffledIndices,
  splitmix32,
  streamSeed,
  Xoshiro128StarStar,
} from './prng';

// Reference values, from the reference C code compiled with gcc 12 -O2 and run:
//   xoshiro128** 1.1 (https://prng.di.unimi.it/xoshiro128starstar.c, `next()` copied verbatim) from
//     {1,2,3,4}: 11520 0 5927040 70819200 2031721883 1637235492 1287239034 3734860849 3729100597
//     4258142804 (the same ten as the rand_xoshiro crate's test); by hand, rotl(2·5, 7)·9 = 11520.
//   splitmix32 (`z = (x += 0x9e3779b9); z = (z ^ z>>16) * 0x85ebca6b; z = (z ^ z>>13) * 0xc2b2ae35;
//     return z ^ z>>16;` on uint32_t) from 0: 2462723854 1020716019 454327756 1275600319;
//     from 42: 939911724 3948730756 321366731 3317318717.
//   xoshiro128** seeded by four splitmix32(42) outputs: 2837322924 544945897 479756282 3500138142
//     339756180 113173290.
//   mulberry32 (Tommy Ettinger's gist, `z = (*a += 0x6D2B79F5); z = (z ^ z>>15) * (z | 1);
//     z ^= z + (z ^ z>>7) * (z | 61); return z ^ z>>14;`) from state fmix32(0) = 0: 1144304738 1416247
//     958946056 627933444 2007157716; from fmix32(1) = 1364076727: 1228566310 1041339923 2248853198
//     1551223671 657430983.

describe('Xoshiro128StarStar against the reference C code', () => {
  it('from state {1, 2, 3, 4}', () => {
    const rng = new Xoshiro128StarStar([1, 2, 3, 4]);
    expect(Array.from({ length: 10 }, () => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it('splitmix32 from 0 and from 42, and fmix32 as its first step', () => {
    const a = splitmix32(0);
    expect([a(), a(), a(), a()]).toEqual([2462723854, 1020716019, 454327756, 1275600319]);
    const b = splitmix32(42);
    expect([b(), b(), b(), b()]).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    expect(fmix32(0x9e3779b9)).toBe(2462723854);
  });

  it('fromSeed fills the state with four splitmix32 outputs', () => {
    const rng = Xoshiro128StarStar.fromSeed(42);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290,
    ]);
  });

  it('fromSeed with keys seeds from streamSeed, and a subclass gets an instance of itself', () => {
    class Tagged extends Xoshiro128StarStar {
      readonly tag = 'tagged';
    }
    const keyed = Tagged.fromSeed(42, 1, 7);
    expect(keyed.tag).toBe('tagged');
    const direct = Xoshiro128StarStar.fromSeed(streamSeed(42, 1, 7));
    expect(Array.from({ length: 4 }, () => keyed.nextUint32())).toEqual(
      Array.from({ length: 4 }, () => direct.nextUint32()),
    );
  });

  it('rejects bad seeds, bounds and the all-zero state, which xoshiro never leaves', () => {
    expect(() => Xoshiro128StarStar.fromSeed(-1)).toThrow(RangeError);
    expect(() => Xoshiro128StarStar.fromSeed(1.5)).toThrow(RangeError);
    expect(() => Xoshiro128StarStar.fromSeed(2 ** 32)).toThrow('seed must be an integer in [0, 2^32), got');
    expect(() => Xoshiro128StarStar.fromSeed(7).nextInt(0)).toThrow(/n=0 is not an integer in 1\.\.2\^32/);
    expect(() => new Xoshiro128StarStar([0, 0, 0, 0])).toThrow(/all zero/);
  });
});

describe('Xoshiro128StarStar derived draws', () => {
  const N = 20_000;

  it('nextFloat lies in [0, 1) with mean 1/2 and variance 1/12 (within 4 standard errors)', () => {
    const rng = Xoshiro128StarStar.fromSeed(7);
    const u = Array.from({ length: N }, () => rng.nextFloat());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const mean = u.reduce((a, b) => a + b, 0) / N;
    const variance = u.reduce((a, b) => a + (b - mean) ** 2, 0) / (N - 1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / N));
    // Var of the sample variance of U(0,1): (1/80 − 1/144)/N.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt((1 / 80 - 1 / 144) / N));
  });

  it('nextInt(n) covers 0..n−1 evenly (chi-square, 9 df, below the 0.999 quantile 27.88)', () => {
    const rng = Xoshiro128StarStar.fromSeed(9);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < N; i++) counts[rng.nextInt(10)]!++;
    const chi2 = counts.reduce((a, c) => a + (c - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(27.88);
    expect(rng.nextInt(1)).toBe(0);
  });

  it('nextInt draws again on the top 2^32 mod n outputs', () => {
    // State {1, 2, 3, 4} gives 11520, 0, 5927040, …: with n = 2^32 − 1 the limit is 2^32 − 1, so
    // every output is kept and returned mod n.
    const rng = new Xoshiro128StarStar([1, 2, 3, 4]);
    expect([rng.nextInt(0xffffffff), rng.nextInt(0xffffffff)]).toEqual([11520, 0]);
    // With n = 1244000000 the limit is 3·n = 3732000000: after six outputs, 1287239034 is kept
    // (mod n: 43239034), 3734860849 is drawn again, 3729100597 is kept (mod n: 1241100597).
    const skip = new Xoshiro128StarStar([1, 2, 3, 4]);
    for (let i = 0; i < 6; i++) skip.nextUint32();
    expect([skip.nextInt(1244000000), skip.nextInt(1244000000)]).toEqual([43239034, 1241100597]);
  });

  it('is reproducible from a seed, differs between seeds and streams', () => {
    const draw = (rng: Xoshiro128StarStar) => Array.from({ length: 8 }, () => rng.nextUint32());
    expect(draw(Xoshiro128StarStar.fromSeed(42))).toEqual(draw(Xoshiro128StarStar.fromSeed(42)));
    expect(draw(Xoshiro128StarStar.fromSeed(42))).not.toEqual(draw(Xoshiro128StarStar.fromSeed(43)));
    expect(draw(Xoshiro128StarStar.fromSeed(42, 1))).not.toEqual(draw(Xoshiro128StarStar.fromSeed(42, 2)));
    expect(draw(Xoshiro128StarStar.fromSeed(0)).some((x) => x !== 0)).toBe(true);
  });
});

describe('streamSeed', () => {
  it('gives distinct streams for different keys and key orders, and the same for the same keys', () => {
    const seeds = new Set<number>();
    for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) seeds.add(streamSeed(42, a, b));
    expect(seeds.size).toBe(400);
    expect(streamSeed(1, 3)).not.toBe(streamSeed(2, 3));
  });

  it('keeps the values the phantom files depend on (libs/phantom/src/prng.ts deriveSeed at 4eb4f11)', () => {
    expect([streamSeed(42, 1, 7), streamSeed(42, 7, 1), streamSeed(11, 1)]).toEqual([
      3094325413, 2724603265, 632429686,
    ]);
  });
});

describe('createPrng (mulberry32)', () => {
  it('matches the reference C code from fmix32(seed)', () => {
    const raw = (seed: number) => {
      const rng = createPrng(seed);
      return Array.from({ length: 5 }, () => rng.nextFloat() * 2 ** 32);
    };
    expect(raw(0)).toEqual([1144304738, 1416247, 958946056, 627933444, 2007157716]);
    expect(raw(1)).toEqual([1228566310, 1041339923, 2248853198, 1551223671, 657430983]);
  });

  it('draws U[0,1) and N(0,1) with the right first two moments', () => {
    // For U(0,1): mean 1/2, variance 1/12; for N(0,1): 0 and 1. With n = 20000 the standard
    // error of a mean is ≤ 1/√20000 ≈ 0.007, so 0.03 is more than four standard errors.
    const rng = createPrng(123);
    const n = 20000;
    const u = Array.from({ length: n }, () => rng.nextFloat());
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

  it('keeps the values the seeded split and training depend on (libs/model/src/train/prng.ts at 4eb4f11)', () => {
    expect([deriveSeed(1, 2, 3), deriveSeed(7, 0), deriveSeed(7, 1), deriveSeed(0)]).toEqual([
      3384567670, 2332699850, 3086777865, 3004262275,
    ]);
  });
});

describe('shuffledIndices', () => {
  it('is a permutation, and every position is equally likely over many seeds', () => {
    expect([...shuffledIndices(10, createPrng(1))].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(shuffledIndices(0, createPrng(1))).toEqual([]);
    // Fisher–Yates is uniform: over 3000 shuffles of 3, each of the 3 items lands first ≈ 1000 times
    // (binomial sd ≈ 26, so ±150 is almost six sd).
    const first = [0, 0, 0];
    for (let s = 0; s < 3000; s++) first[shuffledIndices(3, Xoshiro128StarStar.fromSeed(s))[0]!]!++;
    for (const count of first) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
