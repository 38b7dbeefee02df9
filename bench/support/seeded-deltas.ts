/**
 * A benchmark's update: `length` seeded deltas uniform in ±1e-3, from an LCG (Numerical Recipes'
 * constants): generation speed matters here, quality does not.
 *
 * @example
 * seededDeltas(20_000_000, 1); // the same 80 MB every run
 */
export function seededDeltas(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2e-3;
  }
  return out;
}
