/**
 * A small seeded PRNG so that shuffling, splitting and augmentation are reproducible on every
 * engine: `Math.random` cannot be seeded, and tfjs's own random ops differ between backends.
 *
 * Generator: mulberry32 (Tommy Ettinger, public domain), period 2^32. Seeds are mixed with the
 * murmur3 32-bit finaliser (Austin Appleby, public domain) so that consecutive seeds
 * (epoch 1, 2, …) give unrelated streams.
 */

/** murmur3 fmix32: a bijective 32-bit avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines integer parts (e.g. seed, epoch, index) into one 32-bit seed.
 * @example deriveSeed(7, 2, 15) // the same number every time, unrelated to deriveSeed(7, 2, 16)
 */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = fmix32((h ^ fmix32(p >>> 0)) + 0x9e3779b9 + (h << 6) + (h >>> 2));
  return h;
}

export interface Prng {
  /** Uniform on [0, 1). */
  next(): number;
  /** Uniform on [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer on [0, n). */
  int(n: number): number;
}

/**
 * A seeded generator (mulberry32).
 * @example const rng = createPrng(deriveSeed(seed, epoch)); rng.next(); // in [0, 1)
 */
export function createPrng(seed: number): Prng {
  let a = fmix32(seed >>> 0);
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      // 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(next() * n),
  };
}

/**
 * Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm P) of `0…n-1` driven by `rng`.
 * @example shuffledIndices(5, createPrng(1)) // a permutation of [0, 1, 2, 3, 4]
 */
export function shuffledIndices(n: number, rng: Prng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
