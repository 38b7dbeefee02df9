import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../densenet/build-model';
import { recalibrateBatchNorm } from './batchnorm-recalibration';
import { createPrng } from '@fedaln/site-data';

const SIZE = 32;

describe('recalibrateBatchNorm (cpu, densenet-tiny)', () => {
  it('sets moving statistics to the mean of per-batch statistics; frozen layers keep theirs', async () => {
    await tf.setBackend('cpu');
    const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 2 });
    const rng = createPrng(1);
    const images = Array.from({ length: 4 }, () =>
      Float32Array.from({ length: SIZE * SIZE * 3 }, () => 1 + rng.normal()),
    );
    const frozen = model.getLayer('pool2_bn');
    frozen.trainable = false;
    const frozenBefore = frozen.getWeights().map((w) => w.dataSync().slice());

    await recalibrateBatchNorm(model, images, { batchSize: 2 });

    // Reference: tf.moments of the stem conv's output per batch of two, averaged over the batches.
    const conv = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer('conv1_conv').output as tfl.SymbolicTensor,
    });
    const expected = tf.tidy(() => {
      const means = [0, 2].map((s) => {
        const x = tf.tensor4d(Float32Array.from(images.slice(s, s + 2).flatMap((i) => [...i])), [
          2,
          SIZE,
          SIZE,
          3,
        ]);
        return tf.moments(conv.predict(x) as tf.Tensor, [0, 1, 2]).mean;
      });
      return tf.div(tf.add(means[0]!, means[1]!), 2).dataSync();
    });
    const movingMean = model.getLayer('conv1_bn').getWeights()[2]!.dataSync(); // gamma, beta, moving_mean, moving_variance
    for (let c = 0; c < expected.length; c++) expect(movingMean[c]).toBeCloseTo(expected[c]!, 4);
    frozen
      .getWeights()
      .forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(frozenBefore[i]!)));
    expect((model.getLayer('conv1_bn') as unknown as { momentum: number }).momentum).toBe(0.99);
    model.dispose();
  });
});
