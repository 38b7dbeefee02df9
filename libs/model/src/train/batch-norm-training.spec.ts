/**
 * batchNormTraining against automatic differentiation of tfjs-layers' composition (tf.moments, then
 * tf.batchNorm with the batch statistics), on tfjs-backend-cpu and on wasm (where the sums read the
 * wasm heap or pool): output, batch statistics and the gradients for x, γ and β. Tolerance: 1e-5 of
 * the largest reference value (both sum in float32, in different orders). Then the layer override
 * of installTrainingModes: the same output and moving statistics as tfjs-layers' own training call.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { maxRelativeError, seededUniform } from '../kernels/kernel-check';
import { batchNormTraining } from './batch-norm-training';
import { installTrainingModes } from './layer-modes';

const EPS = 1.001e-5;

type Inputs = [tf.Tensor, tf.Tensor1D, tf.Tensor1D];

function reference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor[] {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, EPS), mean, variance];
}

function ours(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor[] {
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, EPS);
  return [y, mean, variance];
}

/** [y, mean, variance, dx, dγ, dβ] of Σ y·w. */
function run(f: (...t: Inputs) => tf.Tensor[], shape: number[]): Float32Array[] {
  return tf.tidy(() => {
    const size = shape.reduce((a, b) => a * b, 1);
    const c = shape[shape.length - 1]!;
    // An offset mean, as after a ReLU: the statistics must not lose precision to it.
    const x = tf.add(tf.tensor(seededUniform(size, 1), shape), 3);
    const gamma = tf.tensor1d(seededUniform(c, 2));
    const beta = tf.tensor1d(seededUniform(c, 3));
    const w = tf.tensor(seededUniform(size, 4), shape);
    const forward = f(x, gamma, beta).map((t) => t.dataSync() as Float32Array);
    const grads = tf
      .grads((...t: tf.Tensor[]) => tf.sum(tf.mul(f(...(t as Inputs))[0]!, w)))([x, gamma, beta])
      .map((g) => g.dataSync() as Float32Array);
    return [...forward, ...grads];
  });
}

describe('batchNormTraining', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['cpu', [3, 5, 4, 6]],
    ['cpu', [7, 5]],
    ['wasm', [2, 4, 4, 32]],
    ['wasm', [4, 3, 3, 5]],
    ['wasm', [2, 28, 28, 16]], // 1 568 values per channel, summed by the pooling in float32
  ])('matches autodiff of tf.moments + tf.batchNorm on %s, shape %j', async (backend, shape) => {
    expect(await tf.setBackend(backend as string)).toBe(true);
    const expected = run(reference, shape as number[]);
    const actual = run(ours, shape as number[]);
    const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
    actual.forEach((a, i) => {
      expect({ value: names[i], ok: maxRelativeError(a, expected[i]!) <= 1e-5 }).toEqual({
        value: names[i],
        ok: true,
      });
    });
  });

  it('leaves no tensors behind', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    run(ours, [2, 3, 3, 4]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('as the layer override, gives tfjs-layers’ output and moving statistics', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const build = (): tfl.LayersModel => {
      const input = tfl.input({ shape: [4, 4, 6] });
      const out = tfl.layers.batchNormalization({ axis: 3, epsilon: EPS, momentum: 0.9 }).apply(input);
      return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor });
    };
    const x = tf.add(tf.tensor4d(seededUniform(3 * 4 * 4 * 6, 7), [3, 4, 4, 6]), 1);
    const step = (model: tfl.LayersModel): Float32Array[] => {
      const y = model.apply(x, { training: true }) as tf.Tensor;
      const out = [y, ...model.getWeights()].map((t) => t.dataSync() as Float32Array);
      y.dispose();
      return out;
    };
    const plain = build();
    const patched = build();
    patched.setWeights(plain.getWeights());
    const modes = installTrainingModes(patched, 1);
    const expected = step(plain);
    const actual = step(patched);
    modes.restore();
    // y, gamma, beta (unchanged by a forward pass), moving mean, moving variance.
    [0, 3, 4].forEach((i) => expect(maxRelativeError(actual[i]!, expected[i]!)).toBeLessThanOrEqual(1e-5));
    [1, 2].forEach((i) => expect(actual[i]).toEqual(expected[i]));
    tf.dispose([x]);
    plain.dispose();
    patched.dispose();
  });
});
