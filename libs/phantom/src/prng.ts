/**
 * Seeded pseudo-random numbers that give the same sequence on every machine: xoshiro128** 1.1
 * (D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021;
 * reference C at https://prng.di.unimi.it/xoshiro128starstar.c), seeded from a 32-bit seed through
 * splitmix32 (the splitmix construction of Steele, Lea & Flood, OOPSLA 2014, with the MurmurHash3
 * fmix32 finaliser), as Vigna recommends for filling xoshiro state. Only 32-bit integer operations
 * (`Math.imul`, shifts) and IEEE doubles are used; normals use Marsaglia's polar method with the
 * deterministic {@link detLog}, so no engine-specific `Math.log` bits leak into the output.
 */
import { detLog } from './detmath';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { imul, sqrt } = Math;

const GOLDEN_GAMMA = 0x9e3779b9;

/** MurmurHash3 fmix32: a bijective 32-bit avalanche mix. @example fmix32(0x9e3779b9) // 2462723854 */
export function fmix32(z: number): number {
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * splitmix32: state += 0x9e3779b9, output fmix32(state).
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
 * Combines a seed with integer keys into one 32-bit seed, so independent streams (site, case,
 * purpose) can be addressed directly instead of by drawing through earlier ones.
 * @example deriveSeed(42, 1, 7) !== deriveSeed(42, 7, 1) // true
 */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  for (const k of keys) h = fmix32((h + GOLDEN_GAMMA + fmix32(k >>> 0)) >>> 0);
  return h;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * xoshiro128** generator with uniform, integer, normal and choice helpers.
 * @example const rng = Rng.fromSeed(42); rng.nextUint32(); // 2837322924
 */
export class Rng {
  // Typed-array state and a flag for the spare normal: plain object fields holding uint32 values
  // above 2^31 or `number | null` would be boxed on every update (heap numbers, GC churn).
  private readonly s = new Uint32Array(4);
  private hasSpare = false;
  private spare = 0;

  /** Uses the four state words as given (not all zero); see {@link Rng.fromSeed} for a seed. */
  constructor(state: readonly [number, number, number, number]) {
    state.forEach((v, i) => (this.s[i] = v >>> 0));
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0)
      throw new Error('xoshiro128** state must not be all zero');
  }

  /** Fills the state with four splitmix32 outputs of `seed` (and optional keys, via {@link deriveSeed}). */
  static fromSeed(seed: number, ...keys: number[]): Rng {
    const sm = splitmix32(keys.length ? deriveSeed(seed, ...keys) : seed);
    return new Rng([sm(), sm(), sm(), sm()]);
  }

  /** Next 32-bit output of xoshiro128** (reference `next()`; the Uint32Array wraps like uint32_t). */
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

  /** Uniform in [0, 1) with 53 random bits: (a·2^21 + b) / 2^53 from the top bits of two outputs. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n) without modulo bias (Lemire's rejection on the 32-bit output). */
  int(n: number): number {
    if (!(n >= 1 && n <= 0x100000000 && Number.isInteger(n)))
      throw new Error(`int(n): n=${n} not in 1..2^32`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /**
   * Standard normal by Marsaglia's polar method: u, v uniform in (−1, 1) with s = u²+v² in (0, 1),
   * then u·√(−2 ln s / s) and v·√(−2 ln s / s) are independent N(0, 1) (Marsaglia & Bray 1964).
   */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = sqrt((-2 * detLog(s)) / s);
        this.spare = v * f;
        this.hasSpare = true;
        return u * f;
      }
    }
  }

  /** Index drawn with the given probabilities (they need not sum exactly to 1). */
  categorical(probabilities: readonly number[]): number {
    let total = 0;
    for (const p of probabilities) total += p;
    let u = this.uniform() * total;
    for (let i = 0; i < probabilities.length; i++) {
      u -= probabilities[i]!;
      if (u < 0) return i;
    }
    return probabilities.length - 1;
  }
}
