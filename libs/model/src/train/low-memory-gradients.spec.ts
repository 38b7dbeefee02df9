/**
 * variableGradsLowMemory against tf.variableGrads (tfjs-core's own backward pass over the same
 * tape): the same gradients bit for bit on a densenet-tiny step (concatenations, BatchNorm, pooling,
 * a dense head), a lower peak of live tensor bytes, and no tensors left behind.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../densenet/build-model';
import { seededUniform } from '../kernels/kernel-check';
import { installTrainingModes } from './layer-modes';
import { variableGradsLowMemory } from './low-memory-gradients';

describe('variableGradsLowMemory', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it.each([false, true])(
    'gives tf.variableGrads’ gradients with less memory (training modes: %s)',
    async (modes) => {
      const model = buildModel({ arch: 'densenet-tiny', inputSize: 16, head: 'binary', seed: 2, dropout: 0 });
      const installed = modes ? installTrainingModes(model, 1) : null;
      const x = tf.tensor4d(seededUniform(2 * 16 * 16 * 3, 5), [2, 16, 16, 3]);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const loss = (): tf.Scalar => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor));
      const run = async (
        grads: typeof tf.variableGrads,
      ): Promise<{ values: Float32Array[]; loss: number; peak: number; leaked: number }> => {
        const before = tf.memory().numTensors;
        let values: Float32Array[] = [];
        let value = 0;
        const info = await tf.profile(() => {
          const result = grads(loss, variables);
          values = variables.map((v) => result.grads[v.name]!.dataSync() as Float32Array);
          value = result.value.dataSync()[0]!;
          tf.dispose([result.value, ...Object.values(result.grads)]);
        });
        return { values, loss: value, peak: info.peakBytes, leaked: tf.memory().numTensors - before };
      };
      // BatchNorm moving statistics change on every training forward pass: restore them between runs.
      const start = model.getWeights().map((w) => w.clone());
      const reference = await run(tf.variableGrads);
      model.setWeights(start);
      const ours = await run(variableGradsLowMemory as typeof tf.variableGrads);
      installed?.restore();
      expect(ours.loss).toBe(reference.loss);
      ours.values.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(reference.values[i]!)));
      expect(ours.peak).toBeLessThan(reference.peak);
      expect(ours.leaked).toBe(0);
      expect(reference.leaked).toBe(0);
      tf.dispose([x, ...start]);
      model.dispose();
    },
  );
});
