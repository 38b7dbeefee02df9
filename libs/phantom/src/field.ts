/**
 * Row-major float images (width × height) and the separable convolutions the renderer builds on.
 * FFT-free: kernels are a few dozen taps at most, and a separable 2-D convolution costs
 * O(pixels × (taps_x + taps_y)).
 */
import { detExp } from './detmath';
import type { Rng } from './prng';

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { ceil, max, min } = Math;

export interface Field {
  width: number;
  height: number;
  data: Float64Array;
}

export function newField(width: number, height: number, fill = 0): Field {
  const data = new Float64Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/**
 * Sampled Gaussian g(k) = exp(−k²/2σ²) for k = −⌈3σ⌉…⌈3σ⌉, scaled to unit sum.
 * @example gaussianKernel(1).length // 7
 */
export function gaussianKernel(sigmaPx: number): Float64Array {
  const half = max(1, ceil(3 * sigmaPx));
  const k = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let i = -half; i <= half; i++) sum += k[i + half] = detExp(-(i * i) / (2 * sigmaPx * sigmaPx));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/**
 * Convolves `src` along x (axis 0) or y (axis 1) with an odd-length kernel, replicating edge
 * pixels: out(x) = Σ_k kernel[k]·src(clamp(x + k − half)).
 */
export function convolveAxis(
  src: Float64Array,
  width: number,
  height: number,
  kernel: Float64Array,
  axis: 0 | 1,
): Float64Array {
  const out = new Float64Array(src.length);
  const half = (kernel.length - 1) / 2;
  const n = axis === 0 ? width : height;
  const stride = axis === 0 ? 1 : width;
  const lines = axis === 0 ? height : width;
  const lineStep = axis === 0 ? width : 1;
  const taps = kernel.length;
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep;
    for (let p = 0; p < n; p++) {
      let acc = 0;
      if (p >= half && p + half < n) {
        // Interior: no clamping needed.
        let idx = base + (p - half) * stride;
        for (let k = 0; k < taps; k++, idx += stride) acc += kernel[k]! * src[idx]!;
      } else {
        for (let k = 0; k < taps; k++) {
          const q = min(n - 1, max(0, p + k - half));
          acc += kernel[k]! * src[base + q * stride]!;
        }
      }
      out[base + p * stride] = acc;
    }
  }
  return out;
}

/**
 * Smooth Gaussian noise with unit variance and correlation length `sigmaPx`: white N(0,1) noise
 * blurred by a separable Gaussian kernel k, divided by √(Σk_x²·Σk_y²), the SD of the blurred noise.
 */
export function smoothNoise(width: number, height: number, sigmaPx: number, rng: Rng): Field {
  const white = new Float64Array(width * height);
  for (let i = 0; i < white.length; i++) white[i] = rng.normal();
  const k = gaussianKernel(max(0.5, sigmaPx));
  let energy = 0;
  for (const v of k) energy += v * v;
  const data = convolveAxis(convolveAxis(white, width, height, k, 0), width, height, k, 1);
  for (let i = 0; i < data.length; i++) data[i]! /= energy;
  return { width, height, data };
}
