import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../densenet/build-model';
import { weightShapes } from '../io/named-weights';
import { isBatchNormStatisticName } from '@fedaln/protocol';
import { batchNormWeightNames, isBatchNormWeightName } from './fedbn';

describe('FedBN weight selection', () => {
  it('names every BatchNormalization weight of densenet-tiny and densenet121, and the name rule agrees', async () => {
    await tf.setBackend('cpu');
    for (const arch of ['densenet-tiny', 'densenet121'] as const) {
      const model = buildModel({ arch, inputSize: 32, head: 'binary', seed: 1 });
      const names = batchNormWeightNames(model);
      const bnLayers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
      // Four weights per BN layer (Keras: gamma, beta, moving_mean, moving_variance).
      expect(names).toHaveLength(4 * bnLayers);
      expect(names.slice(0, 4)).toEqual([
        'conv1_bn/gamma',
        'conv1_bn/beta',
        'conv1_bn/moving_mean',
        'conv1_bn/moving_variance',
      ]);
      const byRule = weightShapes(model)
        .map((w) => w.name)
        .filter(isBatchNormWeightName);
      expect(byRule).toEqual(names);
      // Update screening's statistics group (isBatchNormStatisticName) is what tfjs does not train.
      const statistics = weightShapes(model)
        .map((w) => w.name)
        .filter(isBatchNormStatisticName);
      expect(statistics).toEqual(model.nonTrainableWeights.map((w) => w.originalName));
      expect(statistics).toHaveLength(2 * bnLayers);
      model.dispose();
    }
  });

  it('leaves convolutions, the head and malformed names out', () => {
    for (const name of [
      'conv1_conv/kernel',
      'aln_output/bias',
      'aln_output/kernel',
      'gamma',
      '/gamma',
      'bn/gamma_1',
    ])
      expect(isBatchNormWeightName(name)).toBe(false);
    expect(isBatchNormWeightName('bn/moving_variance')).toBe(true);
    for (const name of ['bn/gamma', 'bn/beta', 'moving_mean', 'bn/moving_mean_1', 'aln_output/kernel'])
      expect(isBatchNormStatisticName(name)).toBe(false);
    expect(isBatchNormStatisticName('conv1_bn/moving_mean')).toBe(true);
  });
});
