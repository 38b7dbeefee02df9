/**
 * Our `FusedBatchNorm` gradient against automatic differentiation of the same normalisation written
 * with elementary ops, y = (x − μ)·γ·rsqrt(σ² + ε) + β (Sub, Mul, Rsqrt, Add: tfjs-core's own
 * gradients), on tfjs-backend-cpu, for every input (x, μ, σ², γ, β). Tolerance: max |ours − ref| ≤
 * 1e-5 · max |ref| (the same float32 products summed in another order).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fusedBatchNormGradConfig } from './index';
import { maxRelativeError, seededUniform } from './kernel-check';

const EPS = 1e-3;

type Inputs = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];

/** d(Σ y·w)/d(x, μ, σ², γ, β) through `normalise`. */
function gradients(
  normalise: (...t: Inputs) => tf.Tensor,
  xShape: number[],
  statShape: number[],
): Float32Array[] {
  return tf.tidy(() => {
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    const x = tf.tensor(seededUniform(size(xShape), 1), xShape);
    const mean = tf.tensor(seededUniform(size(statShape), 2), statShape);
    const variance = tf.add(tf.abs(tf.tensor(seededUniform(size(statShape), 3), statShape)), 0.1);
    const gamma = tf.tensor(seededUniform(size(statShape), 4), statShape);
    const beta = tf.tensor(seededUniform(size(statShape), 5), statShape);
    const w = tf.tensor(seededUniform(size(xShape), 6), xShape);
    const loss = (...t: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(normalise(...(t as Inputs)), w));
    return tf
      .grads(loss)([x, mean, variance, gamma, beta])
      .map((g) => g.dataSync() as Float32Array);
  });
}

const fused = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.batchNorm(x, m, v, b, g, EPS);
const elementary = (x: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.add(tf.mul(tf.mul(tf.sub(x, m), g), tf.rsqrt(tf.add(v, EPS))), b);

describe('FusedBatchNorm gradient', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('is the registered gradient', () => {
    expect(tf.getGradient(tf.FusedBatchNorm)).toBe(fusedBatchNormGradConfig);
  });

  it.each([
    ['NHWC activations, per-channel statistics', [3, 5, 4, 6], [6]],
    ['rank-2 (dense) activations', [7, 5], [5]],
    ['rank-3 activations', [4, 5, 6], [6]],
  ])('matches autodiff of the elementary ops: %s', (_name, xShape, statShape) => {
    const ours = gradients(fused, xShape, statShape);
    const reference = gradients(elementary, xShape, statShape);
    ours.forEach((g, i) => {
      expect({ input: i, error: maxRelativeError(g, reference[i]!) <= 1e-5 }).toEqual({
        input: i,
        error: true,
      });
    });
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    gradients(fused, [2, 3, 3, 4], [4]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
