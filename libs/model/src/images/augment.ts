/**
 * Seeded training augmentation for ultrasound images (normalised HWC Float32Array, see normalise.ts).
 * One (seed, epoch, index) triple fixes every random choice, so a training run is reproducible and
 * identical on every engine. Operations, in order, on the [0, 1] intensity scale:
 *  1. horizontal flip (a lesion's left/right orientation carries no label information);
 *  2. rotation by θ and isotropic scale s about the centre, bilinear resampling, zero (black, as
 *     outside an ultrasound sector) outside the source;
 *  3. gain g and contrast c: x ← ((x − μ)·c + μ)·g, μ the image mean;
 *  4. speckle-like multiplicative noise: x ← x·(1 + σ·n), n ~ N(0, 1), one n per pixel shared by
 *     the three channels (ultrasound is gray); speckle is multiplicative (Burckhardt, IEEE Trans.
 *     Sonics Ultrason. 25(1), 1978);
 * then clamping to [0, 1] and re-normalising.
 */
import { createPrng, deriveSeed } from '@fedaln/site-data';
import { fromUnitRange, toUnitRange } from './normalise';

export interface AugmentOptions {
  /** Probability of a horizontal flip. */
  flipProbability: number;
  /** Maximum absolute rotation, degrees. */
  maxRotationDeg: number;
  /** Maximum relative scale change (0.1 → scale in [0.9, 1.1]). */
  maxScale: number;
  /** Maximum relative gain change. */
  maxGain: number;
  /** Maximum relative contrast change. */
  maxContrast: number;
  /** Maximum speckle standard deviation σ (drawn uniformly from [0, σ]). */
  maxSpeckle: number;
}

export const DEFAULT_AUGMENT: Readonly<AugmentOptions> = Object.freeze({
  flipProbability: 0.5,
  maxRotationDeg: 10,
  maxScale: 0.1,
  maxGain: 0.15,
  maxContrast: 0.15,
  maxSpeckle: 0.1,
});

/** The random draw for one image. */
export interface AugmentParams {
  flip: boolean;
  rotationRad: number;
  scale: number;
  gain: number;
  contrast: number;
  speckle: number;
  /** Seed of the per-pixel noise stream. */
  noiseSeed: number;
}

/**
 * Draws the augmentation of image `index` in `epoch` of a run seeded with `seed`.
 * @example drawAugmentation(42, 0, 7) // same result on every call and every machine
 */
export function drawAugmentation(
  seed: number,
  epoch: number,
  index: number,
  options: AugmentOptions = DEFAULT_AUGMENT,
): AugmentParams {
  const rng = createPrng(deriveSeed(seed, epoch, index));
  return {
    flip: rng.nextFloat() < options.flipProbability,
    rotationRad: (rng.uniform(-1, 1) * options.maxRotationDeg * Math.PI) / 180,
    scale: 1 + rng.uniform(-1, 1) * options.maxScale,
    gain: 1 + rng.uniform(-1, 1) * options.maxGain,
    contrast: 1 + rng.uniform(-1, 1) * options.maxContrast,
    speckle: rng.uniform(0, options.maxSpeckle),
    noiseSeed: deriveSeed(seed, epoch, index, 0x5eed),
  };
}

/**
 * Bilinear resampling of an HWC image under a flip, a rotation and a scale about the centre.
 * Inverse mapping: output pixel (x, y) reads the source at R(−θ)·((x, y) − centre)/s + centre, so
 * every output pixel is defined (no holes). `size` is the side; channels are 3.
 */
export function warpBilinear(
  src: Float32Array,
  size: number,
  flip: boolean,
  rotationRad: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(src.length);
  const c0 = (size - 1) / 2;
  const cos = Math.cos(rotationRad) / scale;
  const sin = Math.sin(rotationRad) / scale;
  const at = (x: number, y: number, ch: number): number =>
    x < 0 || y < 0 || x >= size || y >= size ? 0 : src[(y * size + x) * 3 + ch]!;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (flip ? size - 1 - x : x) - c0;
      const dy = y - c0;
      const sx = cos * dx + sin * dy + c0;
      const sy = -sin * dx + cos * dy + c0;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const top = at(x0, y0, ch) * (1 - fx) + at(x0 + 1, y0, ch) * fx;
        const bottom = at(x0, y0 + 1, ch) * (1 - fx) + at(x0 + 1, y0 + 1, ch) * fx;
        out[(y * size + x) * 3 + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/**
 * Applies drawn parameters to a normalised HWC image of side `size`; returns a new array.
 * @example const x2 = applyAugmentation(x, 64, drawAugmentation(seed, epoch, i));
 */
export function applyAugmentation(image: Float32Array, size: number, params: AugmentParams): Float32Array {
  const unit = toUnitRange(Float32Array.from(image));
  const out = warpBilinear(unit, size, params.flip, params.rotationRad, params.scale);
  let mean = 0;
  for (let i = 0; i < out.length; i++) mean += out[i]!;
  mean /= out.length;
  const noise = createPrng(params.noiseSeed);
  for (let p = 0; p < size * size; p++) {
    const speckle = params.speckle > 0 ? 1 + params.speckle * noise.normal() : 1;
    for (let ch = 0; ch < 3; ch++) {
      const i = p * 3 + ch;
      const v = ((out[i]! - mean) * params.contrast + mean) * params.gain * speckle;
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return fromUnitRange(out);
}

/**
 * Augments image `index` of `epoch` in a run seeded with `seed` (draw + apply).
 * @example const x2 = augmentImage(x, 64, { seed: 1, epoch: 0, index: 3 });
 */
export function augmentImage(
  image: Float32Array,
  size: number,
  at: { seed: number; epoch: number; index: number },
  options: AugmentOptions = DEFAULT_AUGMENT,
): Float32Array {
  return applyAugmentation(image, size, drawAugmentation(at.seed, at.epoch, at.index, options));
}
