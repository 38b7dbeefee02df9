/**
 * Training from dense block 3 with the frozen prefix cached against in-process {@link trainModel}
 * with the same scope (the reference: it runs the whole model every step). One worker, whole
 * batches: the suffix sees the same rows as the reference's blocks ≥ 3 (the prefix's BatchNorm is
 * in inference mode in both), so the weights agree up to float32 summation order; tolerance as in
 * train-parallel.spec.ts (1e-4 of the largest weight change).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../densenet/build-model';
import { selectEngine } from '../engine';
import { type TrainOptions, trainModel } from '../train/train-model';
import { maxUpdateDifference } from '../kernels/kernel-check';
import { splitAtBlock } from './frozen-prefix';
import { trainModelParallel } from './train-parallel';

const SIZE = 32;
const options: TrainOptions = {
  epochs: 2,
  batchSize: 4,
  learningRate: 1e-2,
  seed: 9,
  scope: { fromBlock: 3 },
  augment: false,
  recalibrateBatchNorm: false,
};
const fresh = (): ReturnType<typeof buildModel> =>
  buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 4, dropout: 0 });
const values = (model: ReturnType<typeof buildModel>): Float32Array[] =>
  model.weights.map((w) => w.read().dataSync() as Float32Array);

describe('cached frozen prefix', () => {
  let images: Float32Array[];
  const labels = [1, 0, 0, 1, 1, 0, 1, 0];

  beforeAll(async () => {
    await selectEngine('wasm');
    images = labels.map((_, i) =>
      tf.tidy(
        () => tf.randomUniform([SIZE * SIZE * 3], -2, 2, 'float32', 200 + i).dataSync() as Float32Array,
      ),
    );
  });

  it('splits so that suffix(prefix(x)) = model(x)', () => {
    const model = fresh();
    const { prefix, suffix } = splitAtBlock(model, 3);
    expect(suffix.inputs[0]!.shape).toEqual(prefix.outputs[0]!.shape);
    const [whole, composed] = tf.tidy(() => {
      const x = tf.tensor4d(
        images.slice(0, 2).flatMap((im) => Array.from(im)),
        [2, SIZE, SIZE, 3],
      );
      return [model.predict(x) as tf.Tensor, suffix.predict(prefix.predict(x) as tf.Tensor) as tf.Tensor];
    });
    expect(Array.from(composed.dataSync())).toEqual(Array.from(whole.dataSync()));
    tf.dispose([whole, composed]);
    model.dispose();
  });

  it('trains the same weights as in-process training of the same scope', async () => {
    const reference = fresh();
    const initial = values(reference);
    await trainModel(reference, { images, labels }, options);
    const expected = values(reference);
    reference.dispose();
    const model = fresh();
    await trainModelParallel(model, { images, labels }, { ...options, workers: 1, cacheFrozen: true });
    const actual = values(model);
    model.dispose();
    const difference = maxUpdateDifference(initial, expected, actual);
    // A run that changed nothing would be 0/0 = NaN, which fails the bound.
    expect(difference).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('refuses augmentation, which would change the cached input', async () => {
    await expect(
      trainModelParallel(fresh(), { images, labels }, { ...options, augment: true, cacheFrozen: true }),
    ).rejects.toThrow(/cacheFrozen needs augment: false/);
  });
});
