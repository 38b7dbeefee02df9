import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createPrng } from '@fedaln/site-data';
import { trainModel, type TrainingSet } from './train-model';

const SIZE = 32;

/**
 * conv → BN → relu → GAP → dense sigmoid, with Keras DenseNet layer names (stem `conv1_*`, dense
 * blocks `conv2_*`/`conv3_*`, transition `pool2_*`, final `bn`/`relu`, head `aln_*`) so the
 * trainable scopes apply. Few filters and 1×1 convs after the stem: tfjs-backend-cpu's
 * Conv2DBackpropFilter is a scalar loop, and unit tests must stay fast.
 */
function tinyNet(seed = 1): tfl.LayersModel {
  let s = seed;
  const init = () => tfl.initializers.glorotUniform({ seed: s++ });
  const conv = (filters: number, kernelSize: number, strides: number, name: string) =>
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: init(),
      name,
    });
  // Momentum 0.5 (Keras: 0.99) so the moving statistics that inference uses settle within a few steps.
  const bn = (name: string) => tfl.layers.batchNormalization({ axis: 3, momentum: 0.5, name });
  const relu = (name: string) => tfl.layers.activation({ activation: 'relu', name });
  const input = tfl.input({ shape: [SIZE, SIZE, 3], name: 'input_1' });
  const layers = [
    conv(2, 3, 4, 'conv1_conv'),
    bn('conv1_bn'),
    relu('conv1_relu'),
    conv(4, 1, 1, 'conv2_block1_1_conv'),
    bn('conv2_block1_1_bn'),
    relu('conv2_block1_1_relu'),
    tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: 'pool2_pool' }),
    conv(4, 1, 1, 'conv3_block1_1_conv'),
    bn('bn'),
    relu('relu'),
    tfl.layers.globalAveragePooling2d({ name: 'aln_pool' }),
    tfl.layers.dropout({ rate: 0.2, name: 'aln_dropout' }),
    tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(), name: 'aln_output' }),
  ];
  let x = input as tfl.SymbolicTensor;
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'tiny' });
}

/** Positives are brighter than negatives, plus seeded noise: a task any conv net learns. */
function toySet(n: number, positives: number, seed = 3): TrainingSet {
  const rng = createPrng(seed);
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i < positives ? 1 : 0;
    const img = new Float32Array(SIZE * SIZE * 3);
    for (let p = 0; p < SIZE * SIZE; p++) img.fill((y ? 1 : -1) + rng.normal(), p * 3, p * 3 + 3);
    images.push(img);
    labels.push(y);
  }
  return { images, labels };
}

const snapshot = (model: tfl.LayersModel): Map<string, Float32Array> =>
  new Map(
    // originalName: tfjs makes weight names unique per process (`…/kernel_1`); runs are compared by the Keras name.
    model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]),
  );

const changed = (a: Float32Array, b: Float32Array): boolean => a.some((v, i) => v !== b[i]);

describe('trainModel (cpu)', () => {
  it('gives bit-identical weights for the same seed and data, different ones for another seed', async () => {
    await tf.setBackend('cpu');
    const data = toySet(6, 3);
    const opts = { epochs: 2, batchSize: 3, learningRate: 0.01, augment: true } as const;
    const runs = [];
    for (const seed of [5, 5, 6]) {
      const model = tinyNet();
      await trainModel(model, data, { ...opts, seed });
      runs.push(snapshot(model));
      model.dispose();
    }
    const [a, b, c] = runs as [
      Map<string, Float32Array>,
      Map<string, Float32Array>,
      Map<string, Float32Array>,
    ];
    for (const [name, values] of a) expect(Array.from(b.get(name)!)).toEqual(Array.from(values));
    expect([...a].some(([name, values]) => changed(values, c.get(name)!))).toBe(true);
  });

  it('leaks no tensor across steps and leaves none behind', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const before = tf.memory().numTensors;
    const perStep: number[] = [];
    await trainModel(model, toySet(8, 4), {
      epochs: 2,
      batchSize: 4,
      learningRate: 0.01,
      seed: 1,
      onBatch: () => perStep.push(tf.memory().numTensors),
    });
    expect(perStep).toHaveLength(4);
    // The first step creates Adam's two moment slots per variable; later steps must add nothing.
    expect(new Set(perStep.slice(1)).size).toBe(1);
    expect(perStep[1]).toBe(perStep[0]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('learns a separable toy task (loss falls, positives score higher)', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const data = toySet(16, 8);
    const result = await trainModel(model, data, {
      epochs: 8,
      batchSize: 8,
      learningRate: 0.1,
      seed: 2,
      augment: false,
    });
    expect(result.epochLosses[7]!).toBeLessThan(result.epochLosses[0]! * 0.8);
    const p = tf.tidy(() =>
      (
        model.predict(
          tf.tensor4d(Float32Array.from(data.images.flatMap((i) => [...i])), [16, SIZE, SIZE, 3]),
        ) as tf.Tensor
      ).dataSync(),
    );
    const mean = (ys: number[]) => ys.reduce((s, v) => s + v, 0) / ys.length;
    expect(mean([...p.slice(0, 8)])).toBeGreaterThan(mean([...p.slice(8)]));
    model.dispose();
  });

  it('trains only the head under scope "head": frozen BN keeps its moving statistics', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const before = snapshot(model);
    const flags = model.layers.map((l) => l.trainable);
    await trainModel(model, toySet(8, 4), {
      epochs: 1,
      batchSize: 4,
      learningRate: 0.05,
      seed: 1,
      scope: 'head',
    });
    const after = snapshot(model);
    for (const [name, values] of before) {
      // Keras DenseNet weight names: `aln_output/kernel`, `conv1_bn/moving_mean`, ...
      expect([name, changed(values, after.get(name)!)]).toEqual([name, name.startsWith('aln_output/')]);
    }
    expect(model.layers.map((l) => l.trainable)).toEqual(flags); // restored
    model.dispose();
  });

  it('trains blocks ≥ K, the final bn and the head under { fromBlock: K }', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const before = snapshot(model);
    await trainModel(model, toySet(8, 4), {
      epochs: 1,
      batchSize: 4,
      learningRate: 0.05,
      seed: 1,
      scope: { fromBlock: 3 },
    });
    const after = snapshot(model);
    const moved = [...before]
      .filter(([name, v]) => changed(v, after.get(name)!))
      .map(([name]) => name.split('/')[0]);
    expect(new Set(moved)).toEqual(new Set(['conv3_block1_1_conv', 'bn', 'aln_output']));
    model.dispose();
  });

  it('reports balanced class weights n/(2·n_c) and per-batch progress', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const progress: { epoch: number; batch: number; batches: number }[] = [];
    const result = await trainModel(model, toySet(8, 2), {
      epochs: 1,
      batchSize: 3,
      learningRate: 0.01,
      seed: 1,
      onBatch: ({ epoch, batch, batches }) => progress.push({ epoch, batch, batches }),
    });
    // 8 cases, 6 negative, 2 positive: w0 = 8/(2·6), w1 = 8/(2·2).
    expect(result.classWeights[0]).toBeCloseTo(8 / 12, 12);
    expect(result.classWeights[1]).toBeCloseTo(2, 12);
    expect(progress).toEqual([0, 1, 2].map((batch) => ({ epoch: 0, batch, batches: 3 })));
    model.dispose();
  });

  it('rejects bad labels and unknown blocks with the value at fault', async () => {
    await tf.setBackend('cpu');
    const model = tinyNet();
    const data = toySet(4, 2);
    await expect(
      trainModel(
        model,
        { ...data, labels: [0, 1, 2, 0] },
        { epochs: 1, batchSize: 2, learningRate: 0.01, seed: 1 },
      ),
    ).rejects.toThrow('label 2 is 2; expected 0 or 1');
    await expect(
      trainModel(model, data, {
        epochs: 1,
        batchSize: 2,
        learningRate: 0.01,
        seed: 1,
        scope: { fromBlock: 9 },
      }),
    ).rejects.toThrow('from-block-9 names no dense block of tiny; its blocks are 2, 3');
    model.dispose();
  });
});
