/**
 * Where DP-SGD's randomness comes from: which records a step samples (Poisson) and the Gaussian noise
 * added to the summed clipped gradients. The privacy guarantee assumes both are secret and
 * unpredictable, so a site trains with {@link cryptoDpRandomness} (the platform's CSPRNG,
 * `crypto.getRandomValues`); tests and benchmarks pass {@link seededDpRandomness} to be reproducible.
 *
 * Normals come from the Box–Muller transform (Box & Muller 1958) on 53-bit uniforms in double
 * precision, rounded to float32. Known limitation (Mironov 2012, "On significance of the least
 * significant bits for differential privacy"): floating-point samplers leave gaps an attacker who sees
 * the raw noisy value could exploit; here the noise is added to a sum of float32 gradients and then
 * passes through the optimizer and many further steps before anything leaves the site.
 */
import { Xoshiro128StarStar } from '@fedaln/site-data';

export interface DpRandomness {
  /** Uniform double in [0, 1). */
  uniform(): number;
  /** `n` independent standard normal draws. */
  normals(n: number): Float32Array;
}

/** Fills `out` with standard normals from uniforms on [0, 1), two per pair (Box–Muller). */
function boxMuller(out: Float32Array, uniform: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    // 1 − u is in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/**
 * Reproducible randomness for tests and benchmarks (xoshiro128**, not secret).
 * @example seededDpRandomness(7).normals(3) // the same three numbers on every machine
 */
export function seededDpRandomness(seed: number): DpRandomness {
  const rng = Xoshiro128StarStar.fromSeed(seed >>> 0, 0xd9);
  const uniform = (): number => rng.nextFloat();
  return { uniform, normals: (n) => boxMuller(new Float32Array(n), uniform) };
}

/** 53-bit uniforms from `crypto.getRandomValues`, drawn in blocks (it fills at most 64 KiB per call). */
function cryptoUniforms(): () => number {
  const words = new Uint32Array(16384);
  let next = words.length;
  const word = (): number => {
    if (next === words.length) {
      globalThis.crypto.getRandomValues(words);
      next = 0;
    }
    return words[next++]!;
  };
  return () => ((word() >>> 5) * 67108864 + (word() >>> 6)) / 9007199254740992;
}

/**
 * Randomness from the platform's cryptographic generator (Node ≥ 19 and browsers expose
 * `globalThis.crypto`): what a site trains with.
 * @example const noise = cryptoDpRandomness().normals(1000);
 */
export function cryptoDpRandomness(): DpRandomness {
  if (typeof globalThis.crypto?.getRandomValues !== 'function')
    throw new Error('DP-SGD needs crypto.getRandomValues (Node ≥ 19 or a browser); this runtime has none');
  const uniform = cryptoUniforms();
  return { uniform, normals: (n) => boxMuller(new Float32Array(n), uniform) };
}
