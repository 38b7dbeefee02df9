import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createPrng } from '@fedaln/site-data';
import { buildModel } from '../densenet/build-model';
import { adaptBatchNorm } from './adabn';

const SIZE = 32;

describe('adaptBatchNorm (AdaBN, cpu, densenet-tiny)', () => {
  it('sets each BN layer’s moving statistics to the new images’ channel moments, frozen layers too; γ and β stay', async () => {
    await tf.setBackend('cpu');
    const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 3 });
    // A "new scanner": brighter, higher-contrast images than anything the model saw.
    const rng = createPrng(5);
    const images = Array.from({ length: 6 }, () =>
      Float32Array.from({ length: SIZE * SIZE * 3 }, () => 2 + 3 * rng.normal()),
    );
    const stem = model.getLayer('conv1_bn');
    stem.trainable = false;
    const [gamma, beta] = stem.getWeights().map((w) => w.dataSync().slice());
    const before = tf.memory().numTensors;

    await adaptBatchNorm(model, images, { batchSize: images.length });

    expect(tf.memory().numTensors).toBe(before);
    expect(stem.trainable).toBe(false);
    // Reference: tf.moments of the stem conv's output over all six images (one batch: AdaBN's E[x], Var[x]).
    const conv = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer('conv1_conv').output as tfl.SymbolicTensor,
    });
    const [mean, variance] = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(images.flatMap((i) => [...i])), [images.length, SIZE, SIZE, 3]);
      const m = tf.moments(conv.predict(x) as tf.Tensor, [0, 1, 2]);
      return [m.mean.dataSync(), m.variance.dataSync()];
    });
    const [g, b, movingMean, movingVariance] = stem.getWeights().map((w) => w.dataSync());
    expect(Array.from(g!)).toEqual(Array.from(gamma!));
    expect(Array.from(b!)).toEqual(Array.from(beta!));
    for (let c = 0; c < mean!.length; c++) {
      expect(movingMean![c]).toBeCloseTo(mean![c]!, 3);
      expect(movingVariance![c]! / variance![c]!).toBeCloseTo(1, 3);
    }
    model.dispose();
  });

  it('refuses no images and a bad batch size, naming them', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 3 });
    await expect(adaptBatchNorm(model, [], { batchSize: 4 })).rejects.toThrow(/at least one image/);
    await expect(
      adaptBatchNorm(model, [new Float32Array(SIZE * SIZE * 3)], { batchSize: 0 }),
    ).rejects.toThrow(/batch size 0/);
    model.dispose();
  });
});
