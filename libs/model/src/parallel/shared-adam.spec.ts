/**
 * ShardedAdam against tfjs-core's own Adam (tf.train.adam on tfjs-backend-cpu, the optimizer the
 * workers used before): two shards over two gradient slots give tfjs's weights bit for bit after
 * three steps, with the slots summed as the gradient.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { seededUniform } from '../kernels/kernel-check';
import { flatOffsets, shardRange, ShardedAdam } from './shared-adam';

describe('ShardedAdam', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('splits the flat range into contiguous shards that cover it', () => {
    expect(flatOffsets([3, 4, 2])).toEqual({ offsets: [0, 3, 7], total: 9 });
    expect([0, 1, 2].map((k) => shardRange(10, k, 3))).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
  });

  it('matches tf.train.adam bit for bit, gradients summed over slots', () => {
    const sizes = [5, 7];
    const { offsets, total } = flatOffsets(sizes);
    const initial = seededUniform(total, 1);
    const lr = 0.01;
    // Reference: tfjs's Adam on two variables, gradient = slot 0 + slot 1 (float32 sum).
    const variables = sizes.map((n, i) =>
      tf.variable(tf.tensor1d(initial.subarray(offsets[i], offsets[i]! + n))),
    );
    const optimizer = tf.train.adam(lr);
    // Ours: two shards over the same flat values.
    const weights = Float32Array.from(initial);
    const shards = [0, 1].map((k) => new ShardedAdam(lr, total, ...shardRange(total, k, 2)));
    for (let step = 0; step < 3; step++) {
      // Gradients spanning many magnitudes, some near zero, where Adam's rounding shows.
      const grads = new Float32Array(2 * total);
      const raw = seededUniform(2 * total, 10 + step);
      raw.forEach((g, i) => (grads[i] = g * 10 ** -((i % 9) + 1)));
      const summed = Float32Array.from({ length: total }, (_, i) => grads[i]! + grads[total + i]!);
      tf.tidy(() =>
        optimizer.applyGradients(
          variables.map((v, i) => ({
            name: v.name,
            tensor: tf.tensor1d(summed.subarray(offsets[i], offsets[i]! + sizes[i]!)),
          })),
        ),
      );
      shards.forEach((shard) => shard.step(grads, weights, 2));
    }
    const expected = variables.flatMap((v) => Array.from(v.dataSync()));
    expect(Array.from(weights)).toEqual(expected);
    optimizer.dispose();
    tf.dispose(variables);
  });
});
