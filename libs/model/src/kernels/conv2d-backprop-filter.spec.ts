/**
 * The wasm `Conv2DBackpropFilter` against tfjs-backend-cpu's `Conv2DBackpropFilter` (the reference
 * implementation shipped with tfjs 4.22) on the same inputs, plus one case derived by hand.
 * Tolerance: max |wasm − cpu| ≤ 1e-4 · max |cpu|. Both sum the same float32 products, but in a
 * different order (XNNPACK GEMM tiles vs the cpu backend's nested loops), so they agree to a few
 * float32 ulps of the largest partial sums, not bit for bit.
 */
import { expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Gradient functions (Sum, Square, Conv2D) are registered when tfjs-layers loads.
import '@tensorflow/tfjs-layers';
import { conv2DBackpropFilterWasm, registerWasmTrainingKernels } from './index';
import { convOutputShape, maxRelativeError, seededUniform as values } from './kernel-check';
import { describeWasmKernel } from './wasm-kernel-suite.spec-support';

type Pad = tf.Conv2DBackpropFilterAttrs['pad'];
interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
}

function filterGradOn(
  backend: string,
  c: Case,
  xs: Float32Array,
  dys: Float32Array,
  dyShape: number[],
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const dy = tf.tensor4d(dys, dyShape as [number, number, number, number]);
    const attrs = {
      strides: c.strides,
      pad: c.pad,
      dataFormat: c.dataFormat ?? 'NHWC',
      filterShape: c.filter,
    };
    const dw = tf
      .engine()
      .runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dw.shape).toEqual(c.filter);
    return dw.dataSync() as Float32Array;
  });
}

function conv(name: string, x: Case['x'], filter: Case['filter'], strides: Case['strides'], pad: Pad): Case {
  return { name, x, filter, strides, pad };
}
const cases: Case[] = [
  conv('1×1 s1 valid, batch 3, 16→32', [3, 9, 9, 16], [1, 1, 16, 32], 1, 'valid'),
  // DenseNet's bottleneck (C_in = 64 + 32·i → 128) and transition (C → C/2) 1×1 convolutions.
  conv('1×1 s1 valid, DenseNet bottleneck 8×8, 160→128', [2, 8, 8, 160], [1, 1, 160, 128], 1, 'valid'),
  conv('1×1 s1 valid, DenseNet transition 4×4, 256→128', [3, 4, 4, 256], [1, 1, 256, 128], 1, 'valid'),
  conv('1×1 s1 same (no padding), C_out > C_in', [2, 5, 3, 8], [1, 1, 8, 24], 1, 'same'),
  conv('1×1 s2 same, batch 1, 64→8', [1, 8, 8, 64], [1, 1, 64, 8], 2, 'same'),
  conv('3×3 s1 same, DenseNet growth conv 8×8, 128→32', [2, 8, 8, 128], [3, 3, 128, 32], 1, 'same'),
  conv('3×3 s1 same, batch 3, 1→4', [3, 10, 10, 1], [3, 3, 1, 4], 1, 'same'),
  conv('3×3 s1 valid, batch 2, 32→64', [2, 5, 5, 32], [3, 3, 32, 64], 1, 'valid'),
  conv('3×3 s1 same, batch 1, 16→12 (uneven tap groups)', [1, 6, 5, 16], [3, 3, 16, 12], 1, 'same'),
  // 10 rows, stride 2, 3 taps: total pad (5−1)·2 + 3 − 10 = 1, so top 0, bottom 1.
  conv('3×3 s2 same, asymmetric pad, batch 1, 8→8', [1, 10, 10, 8], [3, 3, 8, 8], 2, 'same'),
  conv('3×3 s2 valid, even input leaves last row unused', [3, 8, 8, 4], [3, 3, 4, 6], 2, 'valid'),
  // 16 rows, stride 2, 7 taps: total pad 7·2 + 7 − 16 = 5, so top 2, bottom 3 (DenseNet's stem shape).
  conv('7×7 s2 same, asymmetric pad, batch 1, 3→16', [1, 16, 16, 3], [7, 7, 3, 16], 2, 'same'),
  conv('7×7 s2 valid, non-square, batch 3, 2→5', [3, 17, 13, 2], [7, 7, 2, 5], 2, 'valid'),
  conv('3×3 strides [1,2], same', [3, 9, 8, 5], [3, 3, 5, 7], [1, 2], 'same'),
  conv('3×3 explicit padding, s1', [2, 6, 7, 3], [3, 3, 3, 4], 1, [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ]),
  { ...conv('3×3 s1 same, NCHW', [2, 5, 6, 6], [3, 3, 5, 4], 1, 'same'), dataFormat: 'NCHW' },
];

describeWasmKernel(tf.Conv2DBackpropFilter, conv2DBackpropFilterWasm, () => {
  it('a second registration is a no-op', () => {
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it('matches a hand-derived gradient: 3×3 ramp, 2×2 filter, dy of ones', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], valid stride 1, dy ≡ 1 on the 2×2 output: dW[kh,kw] is the
    // sum of the 2×2 window of x starting at (kh,kw): 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
    tf.setBackend('wasm');
    const dw = tf.tidy(
      () =>
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]), dy: tf.ones([1, 2, 2, 1]) },
            { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [2, 2, 1, 1] },
          ) as tf.Tensor,
    );
    expect(Array.from(dw.dataSync())).toEqual([12, 16, 24, 28]);
    dw.dispose();
  });

  it.each(cases)('matches tfjs-backend-cpu: $name', (c) => {
    const dyShape = convOutputShape(c.x, c.filter, c.strides, c.pad, c.dataFormat);
    const xs = values(
      c.x.reduce((a, b) => a * b),
      1,
    );
    const dys = values(
      dyShape.reduce((a, b) => a * b),
      2,
    );
    const cpu = filterGradOn('cpu', c, xs, dys, dyShape);
    const wasm = filterGradOn('wasm', c, xs, dys, dyShape);
    expect(maxRelativeError(wasm, cpu)).toBeLessThanOrEqual(1e-4);
  });

  it('gives tf.grad of a conv2d the cpu backend’s filter gradient', () => {
    const xs = values(2 * 8 * 8 * 6, 3);
    const ws = values(3 * 3 * 6 * 5, 4);
    const gradOn = (backend: string): Float32Array => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(xs, [2, 8, 8, 6]);
        const loss = (w: tf.Tensor): tf.Tensor =>
          tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, 'same')));
        return tf
          .grad(loss)(tf.tensor4d(ws, [3, 3, 6, 5]))
          .dataSync() as Float32Array;
      });
    };
    expect(maxRelativeError(gradOn('wasm'), gradOn('cpu'))).toBeLessThanOrEqual(1e-4);
  });

  it('leaks neither tensors nor wasm buffers', () => {
    tf.setBackend('wasm');
    const x = tf.tensor4d(values(3 * 9 * 9 * 4, 5), [3, 9, 9, 4]);
    const dy = tf.tensor4d(values(3 * 5 * 5 * 8, 6), [3, 5, 5, 8]);
    const backend = tf.backend();
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    for (const [strides, pad] of [
      [2, 'same'],
      [1, 'valid'],
    ] as const) {
      const dyIn = strides === 2 ? dy : tf.tensor4d(values(3 * 7 * 7 * 8, 7), [3, 7, 7, 8]);
      const attrs = { strides, pad, dataFormat: 'NHWC', filterShape: [3, 3, 4, 8] };
      const dw = tf
        .engine()
        .runKernel(
          tf.Conv2DBackpropFilter,
          { x, dy: dyIn },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor;
      dw.dispose();
      if (dyIn !== dy) dyIn.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(backend.numDataIds()).toBe(buffersBefore);
    expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true); // inputs still readable
    x.dispose();
    dy.dispose();
  });

  it('rejects a dy that does not match x and the filter, naming the expected shape', () => {
    tf.setBackend('wasm');
    tf.tidy(() => {
      const x = tf.zeros([1, 8, 8, 3]);
      const dy = tf.zeros([1, 8, 8, 4]);
      const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] };
      expect(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs)).toThrow(
        /expected dy \[1,4,4,4\]/,
      );
    });
  });
});
