/**
 * The project's one module of seeded pseudo-random numbers: splits, phantoms, resampling, shuffles
 * and augmentation give the same sequence on every machine and engine (`Math.random` cannot be
 * seeded, and tfjs's random ops differ between backends). Only 32-bit integer operations
 * (`Math.imul`, shifts) and IEEE doubles are used. Not for cryptography.
 *
 * It lives in @fedaln/site-data because that is the lowest package: the site folder's seeded split
 * needs it, and @fedaln/phantom, @fedaln/metrics and @fedaln/model each depend on site-data and on
 * none of the others, so a home in any of them would add an edge between pure libs (metrics →
 * phantom, phantom → model, ...) or a cycle (model → site-data → model).
 *
 * Two generators, each pinned by outputs that must not change:
 * - {@link Xoshiro128StarStar} (xoshiro128** 1.1), for everything new. The phantom's images and
 *   labels, and the metrics bootstrap, are its streams.
 * - {@link createPrng} (mulberry32). The seeded train/test split of every site folder without a
 *   `split` column ({@link seededSplit}), and the model's training shuffles, augmentation and dropout
 *   seeds, are its streams; replacing it would move cases between train and test at a site between
 *   two client versions (a test case trained on), so it stays until the split is versioned.
 */

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { imul } = Math;

const GOLDEN_GAMMA = 0x9e3779b9;

/** Anything that draws a uniform integer in [0, n): what a Fisher–Yates shuffle needs. */
export interface UniformInt {
  nextInt(n: number): number;
}

/** MurmurHash3 fmix32 (Austin Appleby, public domain): a bijective 32-bit avalanche mix. @example fmix32(0x9e3779b9) // 2462723854 */
export function fmix32(z: number): number {
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * splitmix32: state += 0x9e3779b9, output fmix32(state) (the splitmix construction of Steele, Lea &
 * Flood, OOPSLA 2014, with the MurmurHash3 finaliser), as Vigna recommends for filling xoshiro state.
 * @example const sm = splitmix32(0); sm(); // 2462723854
 */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + GOLDEN_GAMMA) >>> 0;
    return fmix32(state);
  };
}

/**
 * The seed of the xoshiro stream addressed by `keys` under `seed`, so independent streams (site,
 * case, purpose) can be addressed directly instead of by drawing through earlier ones. Used by
 * {@link Xoshiro128StarStar.fromSeed}; the phantom's files depend on it bit for bit.
 * @example streamSeed(42, 1, 7) !== streamSeed(42, 7, 1) // true
 */
export function streamSeed(seed: number, ...keys: number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  for (const k of keys) h = fmix32((h + GOLDEN_GAMMA + fmix32(k >>> 0)) >>> 0);
  return h;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Four 32-bit state words, not all zero. */
export type XoshiroState = readonly [number, number, number, number];

/**
 * xoshiro128** 1.1 (D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators", ACM
 * TOMS 47 (2021); reference C at https://prng.di.unimi.it/xoshiro128starstar.c), 128-bit state,
 * period 2^128 − 1:
 *
 *   result = rotl(s1 · 5, 7) · 9
 *   t = s1 << 9;  s2 ^= s0;  s3 ^= s1;  s1 ^= s2;  s0 ^= s3;  s2 ^= t;  s3 = rotl(s3, 11)
 *
 * A 32-bit seed fills the state with four splitmix32 outputs; fmix32 is a bijection, so the four
 * words are never all zero. Subclasses add samplers (the phantom's engine-independent normal).
 *
 * @example Xoshiro128StarStar.fromSeed(42).nextUint32() // 2837322924
 */
export class Xoshiro128StarStar implements UniformInt {
  // A typed array: plain fields holding uint32 values above 2^31 would be boxed on every update.
  private readonly s = new Uint32Array(4);

  /** Starts from explicit state words (not all zero); use {@link Xoshiro128StarStar.fromSeed} normally. */
  constructor(state: XoshiroState) {
    state.forEach((v, i) => (this.s[i] = v >>> 0));
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0)
      throw new RangeError('xoshiro128** state must not be all zero');
  }

  /**
   * A generator seeded from an integer in [0, 2^32), and optional stream keys ({@link streamSeed}).
   * @example Xoshiro128StarStar.fromSeed(42).nextInt(10) // same value on every run
   */
  static fromSeed<T extends Xoshiro128StarStar>(
    this: new (state: XoshiroState) => T,
    seed: number,
    ...keys: number[]
  ): T {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    const sm = splitmix32(keys.length > 0 ? streamSeed(seed, ...keys) : seed);
    return new this([sm(), sm(), sm(), sm()]);
  }

  /** Next output in [0, 2^32) (reference `next()`; the Uint32Array wraps like uint32_t). */
  nextUint32(): number {
    const s = this.s;
    const result = imul(rotl(imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits: (a·2^26 + b) / 2^53 from the top bits of two outputs. */
  nextFloat(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, without modulo bias: the top 2^32 mod n outputs,
   * which would over-represent small results, are drawn again.
   */
  nextInt(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= 0x100000000))
      throw new RangeError(`nextInt(n): n=${n} is not an integer in 1..2^32`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}

/**
 * Combines integer parts (e.g. seed, epoch, index) into one 32-bit seed for {@link createPrng} (and
 * tfjs's dropout seeds): the site folder's seeded split and the model's training streams depend on
 * it bit for bit. Xoshiro streams use {@link streamSeed}.
 * @example deriveSeed(7, 2, 15) // the same number every time, unrelated to deriveSeed(7, 2, 16)
 */
export function deriveSeed(...parts: number[]): number {
  let h = GOLDEN_GAMMA;
  for (const p of parts) h = fmix32((h ^ fmix32(p >>> 0)) + GOLDEN_GAMMA + (h << 6) + (h >>> 2));
  return h;
}

/** The mulberry32 generator of {@link createPrng}. */
export interface Prng extends UniformInt {
  /** Uniform on [0, 1), 32 random bits. */
  nextFloat(): number;
  /** Uniform on [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer on [0, n): ⌊n · nextFloat()⌋. */
  nextInt(n: number): number;
}

/**
 * mulberry32 (Tommy Ettinger, public domain), period 2^32, started from fmix32(seed) so that
 * consecutive seeds (epoch 1, 2, …) give unrelated streams. Kept for the streams that depend on it
 * (see the module comment); new uses take {@link Xoshiro128StarStar}.
 * @example const rng = createPrng(deriveSeed(seed, epoch)); rng.nextFloat(); // in [0, 1)
 */
export function createPrng(seed: number): Prng {
  let a = fmix32(seed >>> 0);
  const nextFloat = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    nextFloat,
    uniform: (lo, hi) => lo + (hi - lo) * nextFloat(),
    normal: () => {
      // 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - nextFloat();
      const v = nextFloat();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    nextInt: (n) => Math.floor(nextFloat() * n),
  };
}

/**
 * Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P) of `0…n-1`: for i = n−1 down to 1, swap
 * i with a uniform j in [0, i]. n − 1 draws from `rng`.
 * @example shuffledIndices(5, createPrng(1)) // a permutation of [0, 1, 2, 3, 4]
 */
export function shuffledIndices(n: number, rng: UniformInt): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
