import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { ProximalTerm } from './proximal-term';
import { trainModel } from './train-model';

/**
 * Hand-derived reference (FedProx, Li et al. MLSys 2020, eq. 2): w = [1, 2, −1], w_global =
 * [0.5, 2, 1], μ = 0.1: ‖w − w_global‖² = 0.25 + 0 + 4 = 4.25, so μ/2·4.25 = 0.2125, and
 * μ(w − w_global) = [0.05, 0, −0.2]; a data gradient [1, 1, 1] becomes [1.05, 1, 0.8].
 */
const W_GLOBAL = Object.freeze([0.5, 2, 1]);
const W_LOCAL = Object.freeze([1, 2, -1]);

describe('ProximalTerm', () => {
  it('has the hand-derived value and gradient μ(w − w_global), equal to autodiff of μ/2‖w − w_global‖²', async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.tensor1d([...W_GLOBAL]), true, 'prox_w');
    const prox = new ProximalTerm(0.1, [w]);
    w.assign(tf.tensor1d([...W_LOCAL]));
    expect(prox.value().dataSync()[0]).toBeCloseTo(0.2125, 6);
    const [added] = prox.addGradients({ prox_w: tf.ones([3]) });
    expect(Array.from(added!.tensor.dataSync())).toEqual([1.05, 1, 0.8].map((v) => Math.fround(v)));
    const auto = tf.variableGrads(() => prox.value(), [w]).grads.prox_w!;
    expect(Array.from(auto.dataSync()).map((v) => +v.toFixed(6))).toEqual([0.05, 0, -0.2]);
    prox.dispose();
    w.dispose();
  });

  it('refuses a negative or non-finite μ, naming it', () => {
    expect(() => new ProximalTerm(-1, [])).toThrow(/mu -1 .*strategy\.mu/);
    expect(() => new ProximalTerm(Number.NaN, [])).toThrow(/mu NaN/);
  });
});

/** input 8×8×3 → conv 1×1 → BN → GAP → dense sigmoid: the smallest net trainModel takes. */
function smallNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'input_1' });
  let x = tfl.layers
    .conv2d({
      filters: 2,
      kernelSize: 1,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      name: 'c',
    })
    .apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ axis: 3, name: 'b' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'g' }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      name: 'd',
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const set = {
  images: Array.from({ length: 8 }, (_, i) =>
    new Float32Array(8 * 8 * 3).fill(i < 4 ? 1 + i / 10 : -1 - i / 10),
  ),
  labels: [1, 1, 1, 1, 0, 0, 0, 0],
};
const options = { epochs: 3, batchSize: 4, learningRate: 0.05, seed: 7, augment: false } as const;

/** Squared distance of the trainable weights from their start values after training with `mu`. */
async function distanceMoved(mu: number | undefined): Promise<number> {
  const model = smallNet();
  const start = model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
  await trainModel(model, set, { ...options, ...(mu === undefined ? {} : { proximal: { mu } }) });
  const end = model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
  model.dispose();
  return start.reduce(
    (s, a, i) => s + a.reduce((t: number, v: number, j: number) => t + (v - end[i]![j]!) ** 2, 0),
    0,
  );
}

describe('trainModel with FedProx', () => {
  it('μ = 0 trains exactly as without the term; a large μ keeps the weights nearer the global', async () => {
    await tf.setBackend('cpu');
    const plain = await distanceMoved(undefined);
    expect(await distanceMoved(0)).toBe(plain);
    const held = await distanceMoved(100);
    expect(plain).toBeGreaterThan(0);
    expect(held).toBeLessThan(plain / 2);
  });

  it('leaks no tensor (anchors are freed at the end)', async () => {
    await tf.setBackend('cpu');
    const model = smallNet();
    const before = tf.memory().numTensors;
    const perStep: number[] = [];
    await trainModel(model, set, {
      ...options,
      proximal: { mu: 0.5 },
      onBatch: () => perStep.push(tf.memory().numTensors),
    });
    expect(new Set(perStep.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a bad μ before training, naming the study spec field', async () => {
    await tf.setBackend('cpu');
    const model = smallNet();
    const before = tf.memory().numTensors;
    await expect(trainModel(model, set, { ...options, proximal: { mu: -0.1 } })).rejects.toThrow(
      /FedProx mu -0.1 .*strategy\.mu/,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
