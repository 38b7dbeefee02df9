/**
 * The wasm `Conv2DBackpropInput` (a forward convolution with the flipped, transposed filter) against
 * tfjs-backend-cpu's `Conv2DBackpropInput` (the reference shipped with tfjs 4.22) on the same
 * inputs, plus one case derived by hand. Tolerance as for the filter gradient: max |wasm − cpu| ≤
 * 1e-4 · max |cpu| (the same float32 products summed in another order).
 */
import { expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Gradient functions (Sum, Square, Conv2D) are registered when tfjs-layers loads.
import '@tensorflow/tfjs-layers';
import { conv2DBackpropInputWasm } from './index';
import { describeWasmKernel } from './wasm-kernel-suite.spec-support';
import { convOutputShape, maxRelativeError, seededUniform as uniform } from './kernel-check';

type Pad = tf.Conv2DBackpropInputAttrs['pad'];
interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
}

function inputGradOn(backend: string, c: Case, dys: Float32Array, ws: Float32Array): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const dy = tf.tensor4d(dys, convOutputShape(c.x, c.filter, c.strides, c.pad, c.dataFormat));
    const filter = tf.tensor4d(ws, c.filter);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat ?? 'NHWC', inputShape: c.x };
    const dx = tf
      .engine()
      .runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dx.shape).toEqual(c.x);
    return dx.dataSync() as Float32Array;
  });
}

const c = (name: string, x: Case['x'], filter: Case['filter'], strides: Case['strides'], pad: Pad): Case => ({
  name,
  x,
  filter,
  strides,
  pad,
});
const cases: Case[] = [
  // DenseNet's shapes: bottleneck 1×1 and growth 3×3 convs, stride 1.
  c('1×1 s1 valid, batch 3, 40→16 (DenseNet bottleneck)', [3, 7, 7, 40], [1, 1, 40, 16], 1, 'valid'),
  c('3×3 s1 same, batch 2, 16→8 (DenseNet growth conv)', [2, 9, 9, 16], [3, 3, 16, 8], 1, 'same'),
  c('3×3 s1 same, DenseNet growth conv 4×4, 128→32', [2, 4, 4, 128], [3, 3, 128, 32], 1, 'same'),
  c('1×1 s1 valid, DenseNet bottleneck 8×8, 288→128', [2, 8, 8, 288], [1, 1, 288, 128], 1, 'valid'),
  // Shapes DenseNet does not use.
  c('3×3 s1 valid, non-square', [2, 6, 9, 5], [3, 3, 5, 7], 1, 'valid'),
  c('2×2 s1 same (asymmetric pad)', [1, 7, 6, 4], [2, 2, 4, 3], 1, 'same'),
  c('5×3 s1 same, non-square filter', [2, 8, 8, 3], [5, 3, 3, 6], 1, 'same'),
  c('7×7 s2 same, asymmetric pad (DenseNet stem shape)', [1, 16, 16, 3], [7, 7, 3, 16], 2, 'same'),
  c('3×3 s2 valid, odd input', [3, 9, 9, 4], [3, 3, 4, 6], 2, 'valid'),
  c('3×3 s2 valid, even input leaves the last row unused', [2, 8, 8, 4], [3, 3, 4, 6], 2, 'valid'),
  c('3×3 strides [1,2], same', [3, 9, 8, 5], [3, 3, 5, 7], [1, 2], 'same'),
  c('1×1 s2 valid', [2, 7, 7, 6], [1, 1, 6, 5], 2, 'valid'),
  c('3×3 explicit padding, s1', [2, 6, 7, 3], [3, 3, 3, 4], 1, [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ]),
  // A pad larger than the filter: the forward form would need negative padding (built-in kernel).
  c('1×1 explicit padding 2 (falls back to the built-in kernel)', [1, 4, 4, 3], [1, 1, 3, 2], 1, [
    [0, 0],
    [2, 2],
    [2, 2],
    [0, 0],
  ]),
  { ...c('3×3 s1 same, NCHW', [2, 5, 6, 6], [3, 3, 5, 4], 1, 'same'), dataFormat: 'NCHW' },
];

describeWasmKernel(tf.Conv2DBackpropInput, conv2DBackpropInputWasm, () => {
  it('matches a hand-derived gradient: 2×2 filter, valid, dy a single 1', () => {
    // x 3×3, W = [[1,2],[3,4]] (1 channel in and out), valid stride 1 → dy 2×2. With dy = 1 at
    // (0,1) and 0 elsewhere, dX[i,j] = W[i − 0, j − 1]: row 0 = [0,1,2], row 1 = [0,3,4], row 2 = 0.
    tf.setBackend('wasm');
    const dx = tf.tidy(
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropInput,
            { dy: tf.tensor4d([0, 1, 0, 0], [1, 2, 2, 1]), filter: tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]) },
            { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 3, 3, 1] },
          ) as tf.Tensor,
    );
    expect(Array.from(dx.dataSync())).toEqual([0, 1, 2, 0, 3, 4, 0, 0, 0]);
    dx.dispose();
  });

  it.each(cases)('matches tfjs-backend-cpu: $name', (k) => {
    const dys = uniform(
      convOutputShape(k.x, k.filter, k.strides, k.pad, k.dataFormat).reduce((a, b) => a * b),
      1,
    );
    const ws = uniform(
      k.filter.reduce((a, b) => a * b),
      2,
    );
    expect(
      maxRelativeError(inputGradOn('wasm', k, dys, ws), inputGradOn('cpu', k, dys, ws)),
    ).toBeLessThanOrEqual(1e-4);
  });

  it('gives tf.grad of a conv2d the cpu backend’s input gradient', () => {
    const xs = uniform(2 * 8 * 8 * 6, 3);
    const ws = uniform(3 * 3 * 6 * 5, 4);
    const gradOn = (backend: string): Float32Array => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const w = tf.tensor4d(ws, [3, 3, 6, 5]);
        const loss = (x: tf.Tensor): tf.Tensor =>
          tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w, 1, 'same')));
        return tf
          .grad(loss)(tf.tensor4d(xs, [2, 8, 8, 6]))
          .dataSync() as Float32Array;
      });
    };
    expect(maxRelativeError(gradOn('wasm'), gradOn('cpu'))).toBeLessThanOrEqual(1e-4);
  });

  it('leaks neither tensors nor wasm buffers', () => {
    tf.setBackend('wasm');
    const filter = tf.tensor4d(uniform(3 * 3 * 4 * 8, 5), [3, 3, 4, 8]);
    const backend = tf.backend();
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    for (const [strides, pad, out] of [
      [1, 'same', 9],
      [2, 'same', 5],
      [1, 'valid', 7],
    ] as const) {
      const dy = tf.tensor4d(uniform(2 * out * out * 8, 6), [2, out, out, 8]);
      const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: [2, 9, 9, 4] };
      const dx = tf
        .engine()
        .runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      tf.dispose([dx, dy]);
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(backend.numDataIds()).toBe(buffersBefore);
    expect(Array.from(filter.dataSync()).every(Number.isFinite)).toBe(true); // input still readable
    filter.dispose();
  });
});
