/**
 * Data-parallel training against the in-process {@link trainModel} (the reference: the same batches,
 * loss and Adam on one engine). With BatchNorm frozen (scope `head`) and no dropout every sample's
 * loss is independent of the others in its batch, so the sum of the shards' gradients is the batch
 * gradient up to float32 summation order. Tolerance: each weight's change may differ from the
 * reference's by 1e-4 of the largest change (Adam divides by √v, so the first steps move every
 * weight by about the learning rate, whose sign a rounding-level gradient difference cannot flip
 * here: the head's gradients are far from zero).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../densenet/build-model';
import { selectEngine } from '../engine';
import { type TrainOptions, trainModel } from '../train/train-model';
import { maxUpdateDifference } from '../kernels/kernel-check';
import { trainModelParallel } from './train-parallel';

const SIZE = 32;
const N = 8;
let images: Float32Array[];
const labels = Array.from({ length: N }, (_, i) => i % 2);
const options: TrainOptions = {
  epochs: 2,
  batchSize: 4,
  learningRate: 1e-2,
  seed: 5,
  scope: 'head',
  augment: false,
  recalibrateBatchNorm: false,
};

function fresh(): ReturnType<typeof buildModel> {
  return buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 3, dropout: 0 });
}

function weights(model: ReturnType<typeof buildModel>): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync() as Float32Array);
}

describe('trainModelParallel', () => {
  let initial: Float32Array[];
  let reference: Float32Array[];
  let referenceLosses: number[];

  beforeAll(async () => {
    await selectEngine('wasm');
    images = Array.from({ length: N }, (_, i) =>
      tf.tidy(
        () => tf.randomUniform([SIZE * SIZE * 3], -2, 2, 'float32', 100 + i).dataSync() as Float32Array,
      ),
    );
    const model = fresh();
    initial = weights(model);
    referenceLosses = (await trainModel(model, { images, labels }, options)).epochLosses;
    reference = weights(model);
    model.dispose();
  }, 60_000);

  it.each([
    [1, undefined],
    [2, undefined],
    [2, 1], // gradient accumulation over single-image micro-batches
  ])(
    'with %i worker(s), micro-batch %s, matches in-process training',
    async (workers, microBatch) => {
      const model = fresh();
      const result = await trainModelParallel(model, { images, labels }, { ...options, workers, microBatch });
      const trained = weights(model);
      model.dispose();
      expect(result.steps).toBe(4);
      expect(maxUpdateDifference(initial, reference, trained)).toBeLessThanOrEqual(1e-4);
      result.epochLosses.forEach((loss, e) =>
        expect(Math.abs(loss - referenceLosses[e]!)).toBeLessThan(1e-5),
      );
    },
    60_000,
  );

  it('rejects a worker count that is not a positive integer', async () => {
    await expect(trainModelParallel(fresh(), { images, labels }, { ...options, workers: 0 })).rejects.toThrow(
      /workers 0 is not a positive integer/,
    );
  });
});
