/**
 * Helpers for checking a wasm kernel against tfjs-backend-cpu, the reference implementation of
 * every tfjs kernel (used by the kernel specs and by benchmarks; no I/O).
 */
import * as tf from '@tensorflow/tfjs-core';

type Shape4D = [number, number, number, number];

/**
 * Seeded uniform values in [−1, 1): tfjs's seeded generator runs in JS, the same on every backend.
 * @example seededUniform(6, 1).length // 6
 */
export function seededUniform(n: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([n], -1, 1, 'float32', seed).dataSync() as Float32Array);
}

/**
 * max |actual − expected| / max |expected|: the error relative to the largest reference value,
 * the scale float32 rounding of long sums is proportional to.
 * @example maxRelativeError(Float32Array.of(1, 2.001), Float32Array.of(1, 2)) // 0.0005
 */
export function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let err = 0;
  let scale = 0;
  expected.forEach((e, i) => {
    err = Math.max(err, Math.abs(actual[i]! - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return err / scale;
}

/**
 * Shape of a 2-D convolution's output (dY) for input shape `x` in `dataFormat`.
 * @example convOutputShape([1, 8, 8, 3], [3, 3, 3, 4], 2, 'same') // [1, 4, 4, 4]
 */
export function convOutputShape(
  x: Shape4D,
  filter: Shape4D,
  strides: number | [number, number],
  pad: tf.Conv2DBackpropInputAttrs['pad'],
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): Shape4D {
  const nchw = dataFormat === 'NCHW';
  const xNhwc = (nchw ? [x[0], x[2], x[3], x[1]] : x) as Shape4D;
  const info = tf.backend_util.computeConv2DInfo(xNhwc, filter, strides, 1, pad);
  return nchw
    ? [x[0], filter[3], info.outHeight, info.outWidth]
    : [x[0], info.outHeight, info.outWidth, filter[3]];
}

/**
 * How far two training runs from the same weights moved apart: max over all values of |a − b|,
 * relative to the largest change |a − initial| (the scale of an optimizer step).
 * @example maxUpdateDifference([Float32Array.of(0)], [Float32Array.of(1)], [Float32Array.of(1.001)]) // 0.001
 */
export function maxUpdateDifference(
  initial: readonly Float32Array[],
  a: readonly Float32Array[],
  b: readonly Float32Array[],
): number {
  let diff = 0;
  let scale = 0;
  initial.forEach((w0, t) =>
    w0.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(a[t]![i]! - b[t]![i]!));
      scale = Math.max(scale, Math.abs(a[t]![i]! - v));
    }),
  );
  return diff / scale;
}
