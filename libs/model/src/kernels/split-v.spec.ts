/**
 * The wasm `SplitV` (pieces cut from a heap view) against tfjs-backend-cpu's `SplitV` on the same
 * input: exact equality (a split copies values, it computes nothing), on DenseNet's channel split
 * (the gradient of a concatenation) and on other axes, short and long runs, and int32 through the
 * built-in kernel.
 */
import { expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { splitVWasm } from './index';
import { describeWasmKernel } from './wasm-kernel-suite.spec-support';
import { seededUniform } from './kernel-check';

function splitOn(
  backend: string,
  shape: number[],
  sizes: number[],
  axis: number,
  dtype: 'float32' | 'int32',
): number[][] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from(seededUniform(n, 1), (v) => (dtype === 'int32' ? Math.round(v * 100) : v));
    const x = tf.tensor(values, shape, dtype);
    return tf.split(x, sizes, axis).map((t) => Array.from(t.dataSync()));
  });
}

describeWasmKernel(tf.SplitV, splitVWasm, () => {
  it.each([
    ['DenseNet concat gradient: channels 96 | 32', [2, 4, 4, 128], [96, 32], 3, 'float32'],
    ['three pieces on axis 1', [3, 6, 5, 2], [1, 3, 2], 1, 'float32'],
    ['axis 0 (contiguous pieces)', [4, 3, 70], [1, 3], 0, 'float32'],
    ['-1 size and negative axis', [2, 3, 100], [30, -1], -1, 'float32'],
    ['int32 (built-in kernel)', [2, 3, 4], [1, 3], 2, 'int32'],
  ])('matches tfjs-backend-cpu: %s', (_name, shape, sizes, axis, dtype) => {
    const args = [
      shape as number[],
      sizes as number[],
      axis as number,
      dtype as 'float32' | 'int32',
    ] as const;
    expect(splitOn('wasm', ...args)).toEqual(splitOn('cpu', ...args));
  });

  it('leaks no wasm buffers', () => {
    tf.setBackend('wasm');
    const x = tf.tensor4d(seededUniform(2 * 3 * 3 * 8, 2), [2, 3, 3, 8]);
    const before = tf.backend().numDataIds();
    tf.dispose(tf.split(x, [5, 3], 3));
    expect(tf.backend().numDataIds()).toBe(before);
    x.dispose();
  });
});
