import { describe, expect, it } from '@jest/globals';
import {
  type AugmentParams,
  applyAugmentation,
  augmentImage,
  DEFAULT_AUGMENT,
  drawAugmentation,
  warpBilinear,
} from './augment';
import { fromUnitRange, toUnitRange } from './normalise';

const IDENTITY: AugmentParams = {
  flip: false,
  rotationRad: 0,
  scale: 1,
  gain: 1,
  contrast: 1,
  speckle: 0,
  noiseSeed: 0,
};

/** A size×size RGB image whose channels are gray value f(x, y) in [0, 1]. */
function gray(size: number, f: (x: number, y: number) => number): Float32Array {
  const img = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) img.fill(f(x, y), (y * size + x) * 3, (y * size + x) * 3 + 3);
  return img;
}
const at = (img: Float32Array, size: number, x: number, y: number) => img[(y * size + x) * 3]!;

describe('warpBilinear', () => {
  const size = 5;
  const ramp = gray(size, (x, y) => (x + 10 * y) / 100);

  it('flips horizontally: out(x, y) = in(size − 1 − x, y)', () => {
    const out = warpBilinear(ramp, size, true, 0, 1);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        expect(at(out, size, x, y)).toBeCloseTo(at(ramp, size, size - 1 - x, y), 6);
  });

  it('rotates by 90° about the centre: out(x, y) = in(y, size − 1 − x)', () => {
    // Inverse map with θ = π/2: sx = dy + c, sy = −dx + c, c = (size − 1)/2.
    const out = warpBilinear(ramp, size, false, Math.PI / 2, 1);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        expect(at(out, size, x, y)).toBeCloseTo(at(ramp, size, y, size - 1 - x), 5);
  });

  it('zooms ×2 about the centre with bilinear interpolation', () => {
    // Output (x, y) reads the source at ((x − 2)/2 + 2, (y − 2)/2 + 2); ramp(x, y) = (x + 10y)/100, and
    // bilinear interpolation of a linear ramp is exact: (0, 2) → (1, 2) = 0.21; (1, 2) → (1.5, 2) =
    // 0.215; (4, 4) → (3, 3) = 0.33.
    const out = warpBilinear(ramp, size, false, 0, 2);
    expect(at(out, size, 0, 2)).toBeCloseTo(0.21, 6);
    expect(at(out, size, 1, 2)).toBeCloseTo(0.215, 6);
    expect(at(out, size, 4, 4)).toBeCloseTo(0.33, 6);
  });

  it('fills outside the source with black when zooming out', () => {
    const out = warpBilinear(
      gray(size, () => 1),
      size,
      false,
      0,
      0.5,
    );
    expect(at(out, size, 0, 0)).toBe(0); // reads source (−2, −2)
    expect(at(out, size, 2, 2)).toBe(1);
  });
});

describe('applyAugmentation', () => {
  const size = 6;
  const image = fromUnitRange(gray(size, (x, y) => 0.1 + 0.1 * ((x + y) % 7)));

  it('is the identity for identity parameters', () => {
    const out = applyAugmentation(image, size, IDENTITY);
    for (let i = 0; i < image.length; i++) expect(out[i]).toBeCloseTo(image[i]!, 5);
  });

  it('applies gain to a constant image (contrast leaves a constant unchanged)', () => {
    const flat = fromUnitRange(gray(size, () => 0.5));
    const out = toUnitRange(applyAugmentation(flat, size, { ...IDENTITY, gain: 1.2, contrast: 0.7 }));
    for (const v of out) expect(v).toBeCloseTo(0.6, 5);
  });

  it('scales deviations from the mean by the contrast factor', () => {
    // Two gray levels 0.4 and 0.6 (mean 0.5) with contrast 1.5 → 0.35 and 0.65.
    const two = fromUnitRange(gray(2, (x) => (x === 0 ? 0.4 : 0.6)));
    const out = toUnitRange(applyAugmentation(two, 2, { ...IDENTITY, contrast: 1.5 }));
    expect(at(out, 2, 0, 0)).toBeCloseTo(0.35, 5);
    expect(at(out, 2, 1, 0)).toBeCloseTo(0.65, 5);
  });

  it('adds speckle with mean 1 and standard deviation σ, the same on all channels', () => {
    const big = 64;
    const out = toUnitRange(
      applyAugmentation(fromUnitRange(gray(big, () => 0.5)), big, {
        ...IDENTITY,
        speckle: 0.1,
        noiseSeed: 9,
      }),
    );
    const values = Array.from({ length: big * big }, (_, p) => out[p * 3]!);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    // 0.5·(1 + 0.1·n): mean 0.5, sd 0.05; with 4096 pixels the mean's standard error is 0.0008.
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeGreaterThan(0.045);
    expect(sd).toBeLessThan(0.055);
    expect(out[1]).toBeCloseTo(out[0]!, 5);
    expect(out[2]).toBeCloseTo(out[0]!, 5);
  });
});

describe('drawAugmentation / augmentImage', () => {
  it('is fixed by (seed, epoch, index) and varies with each', () => {
    expect(drawAugmentation(1, 2, 3)).toEqual(drawAugmentation(1, 2, 3));
    expect(drawAugmentation(1, 2, 3)).not.toEqual(drawAugmentation(1, 2, 4));
    expect(drawAugmentation(1, 2, 3)).not.toEqual(drawAugmentation(1, 3, 3));
    expect(drawAugmentation(1, 2, 3)).not.toEqual(drawAugmentation(2, 2, 3));
    const img = fromUnitRange(gray(8, (x) => x / 8));
    expect(Array.from(augmentImage(img, 8, { seed: 4, epoch: 0, index: 1 }))).toEqual(
      Array.from(augmentImage(img, 8, { seed: 4, epoch: 0, index: 1 })),
    );
  });

  it('stays within the configured ranges and flips about half the time', () => {
    const draws = Array.from({ length: 400 }, (_, i) => drawAugmentation(7, 0, i));
    const deg = (r: number) => (r * 180) / Math.PI;
    expect(Math.max(...draws.map((d) => Math.abs(deg(d.rotationRad))))).toBeLessThanOrEqual(
      DEFAULT_AUGMENT.maxRotationDeg,
    );
    expect(Math.max(...draws.map((d) => Math.abs(d.scale - 1)))).toBeLessThanOrEqual(
      DEFAULT_AUGMENT.maxScale,
    );
    expect(Math.max(...draws.map((d) => d.speckle))).toBeLessThanOrEqual(DEFAULT_AUGMENT.maxSpeckle);
    const flips = draws.filter((d) => d.flip).length; // binomial(400, 0.5): sd 10
    expect(Math.abs(flips - 200)).toBeLessThan(50);
  });
});
