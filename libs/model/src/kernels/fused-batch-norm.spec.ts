/**
 * The wasm `FusedBatchNorm` (Sub, Multiply, Add with a per-channel γ/√(σ² + ε)) against
 * tfjs-backend-cpu's `FusedBatchNorm` on the same inputs. Tolerance: max |wasm − cpu| ≤ 1e-6 ·
 * max |cpu| (the same formula, rounded at different points in float32).
 */
import { expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { fusedBatchNormWasm } from './index';
import { describeWasmKernel } from './wasm-kernel-suite.spec-support';
import { maxRelativeError, seededUniform } from './kernel-check';

function normaliseOn(
  backend: string,
  xShape: number[],
  statShape: number[],
  withAffine: boolean,
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    const stat = (seed: number): tf.Tensor => tf.tensor(seededUniform(size(statShape), seed), statShape);
    const x = tf.add(tf.tensor(seededUniform(size(xShape), 1), xShape), 2);
    const variance = tf.add(tf.abs(stat(3)), 0.05);
    const y = withAffine
      ? tf.batchNorm(x, stat(2), variance, stat(4), stat(5), 1.001e-5)
      : tf.batchNorm(x, stat(2), variance, undefined, undefined, 1e-3);
    return y.dataSync() as Float32Array;
  });
}

describeWasmKernel(tf.FusedBatchNorm, fusedBatchNormWasm, () => {
  it.each([
    ['DenseNet NHWC, per-channel γ and β', [2, 7, 7, 64], [64], true],
    ['rank 2 (dense)', [5, 12], [12], true],
    ['no scale or offset', [3, 4, 4, 8], [8], false],
    ['statistics of x’s shape (built-in kernel)', [2, 3, 3, 4], [2, 3, 3, 4], true],
  ])('matches tfjs-backend-cpu: %s', (_name, xShape, statShape, withAffine) => {
    const args = [xShape as number[], statShape as number[], withAffine as boolean] as const;
    expect(maxRelativeError(normaliseOn('wasm', ...args), normaliseOn('cpu', ...args))).toBeLessThanOrEqual(
      1e-6,
    );
  });

  it('leaks no wasm buffers', () => {
    tf.setBackend('wasm');
    const x = tf.ones([2, 3, 3, 4]);
    const stats = [0, 1, 2, 3].map(() => tf.ones([4]));
    const before = tf.backend().numDataIds();
    tf.batchNorm(x, stats[0]!, stats[1]!, stats[2]!, stats[3]!, 1e-3).dispose();
    expect(tf.backend().numDataIds()).toBe(before);
    tf.dispose([x, ...stats]);
  });
});
