/**
 * The Conv2D override of installTrainingModes: the same outputs and gradients as tfjs-layers' fused
 * convolution, without the input gradient of a convolution whose input no trainable weight
 * depends on (the model's image input).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { maxRelativeError, seededUniform } from '../kernels/kernel-check';
import { installTrainingModes } from './layer-modes';

function twoConvModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  let x = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem' })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers
    .conv2d({ filters: 2, kernelSize: 1, useBias: false, name: 'c1' })
    .apply(x) as tfl.SymbolicTensor;
  // A conv with a bias keeps tfjs-layers' own call.
  x = tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: 'biased' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

describe('installTrainingModes: plain Conv2D', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('gives the same loss gradients and skips the image input gradient', async () => {
    const model = twoConvModel();
    const x = tf.tensor4d(seededUniform(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = async (): Promise<{ grads: Float32Array[]; inputGrads: number }> => {
      let grads: Float32Array[] = [];
      const info = await tf.profile(() => {
        const result = tf.variableGrads(
          () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          variables,
        );
        grads = variables.map((v) => result.grads[v.name]!.dataSync() as Float32Array);
        tf.dispose([result.value, ...Object.values(result.grads)]);
      });
      return { grads, inputGrads: info.kernels.filter((k) => k.name === tf.Conv2DBackpropInput).length };
    };
    const before = await step();
    const modes = installTrainingModes(model, 1);
    const after = await step();
    modes.restore();
    // Fused: every convolution's input gradient (3); plain: the two below the stem only.
    expect(before.inputGrads).toBe(3);
    expect(after.inputGrads).toBe(2);
    after.grads.forEach((g, i) => expect(maxRelativeError(g, before.grads[i]!)).toBeLessThanOrEqual(1e-6));
    x.dispose();
    model.dispose();
  });
});
