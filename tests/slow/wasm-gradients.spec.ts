/**
 * Whole-model gradient check of training on the wasm engine: the loss gradient w.r.t. every
 * trainable weight of `densenet-tiny` (stem 7×7/2 conv, max-pool, dense blocks of 1×1 and 3×3 convs
 * with BatchNormalization in training mode, 2×2 average-pool transitions, the binary head) on wasm,
 * whose `Conv2DBackpropFilter` is ours, against the same computation on tfjs-backend-cpu (the
 * reference implementation of every kernel involved), with identical weights and inputs.
 *
 * Bounds, with err = max |wasm − cpu| over a weight tensor:
 * - conv kernels (the gradients our kernel computes): err ≤ 1e-4 · max |cpu| of that kernel;
 * - every other weight: err ≤ 1e-3 · max |cpu| over all weights of its layer. Per tensor that can be
 *   far off: a BatchNorm gamma's gradient Σ dy·x̂ nearly cancels (x̂ has zero batch mean), so it is
 *   ~1e-3 of its beta's Σ dy, while float32 rounding scales with the summed terms; measured, the
 *   stem's `conv1_bn/gamma` differs by 4e-2 of its own size, and by the same amount when our kernel
 *   is swapped for the cpu one, i.e. it comes from tfjs-backend-wasm's own kernels.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '@fedaln/model';

const BATCH = 4;
const INPUT = 32;

/** Seeded uniform values in [−1, 1): tfjs's seeded generator runs in JS, the same on every backend. */
function values(n: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([n], -1, 1, 'float32', seed).dataSync() as Float32Array);
}

interface Gradients {
  byName: Map<string, Float32Array>;
  loss: number;
}

/** Builds densenet-tiny on `backend`, loads `weights` (name → values), returns d(loss)/d(weight). */
async function gradientsOn(backend: string, weights: Map<string, Float32Array> | null): Promise<Gradients> {
  expect(await tf.setBackend(backend)).toBe(true);
  // dropout 0: the head's dropout mask would otherwise differ between the two runs.
  const model: tfl.LayersModel = buildModel({
    arch: 'densenet-tiny',
    inputSize: INPUT,
    head: 'binary',
    seed: 11,
    dropout: 0,
  });
  if (weights) {
    for (const w of model.trainableWeights) {
      const v = weights.get(w.originalName);
      if (!v) throw new Error(`no cpu weight for ${w.originalName}`);
      w.write(tf.tensor(v, w.shape as number[]));
    }
  }
  const images = tf.tensor4d(values(BATCH * INPUT * INPUT * 3, 21), [BATCH, INPUT, INPUT, 3]);
  const labels = tf.tensor2d([1, 0, 0, 1], [BATCH, 1]);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(images, { training: true }) as tf.Tensor;
    return tf.losses.logLoss(labels, p) as tf.Scalar;
  }, vars);
  const byName = new Map<string, Float32Array>();
  model.trainableWeights.forEach((w, i) => {
    const g = grads[vars[i]!.name];
    if (!g) throw new Error(`no gradient for ${w.originalName}`);
    byName.set(w.originalName, g.dataSync() as Float32Array);
  });
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  // A training step's gradients leave nothing behind (STYLE.md "tensor hygiene").
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([images, labels]);
  model.dispose();
  return { byName, loss };
}

function maxAbs(v: Float32Array): number {
  return v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('densenet-tiny gradients on wasm vs cpu', () => {
  let cpu: Gradients;
  let wasm: Gradients;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const seedModel = buildModel({
      arch: 'densenet-tiny',
      inputSize: INPUT,
      head: 'binary',
      seed: 11,
      dropout: 0,
    });
    const weights = new Map(
      seedModel.trainableWeights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]),
    );
    seedModel.dispose();
    cpu = await gradientsOn('cpu', weights);
    wasm = await gradientsOn('wasm', weights);
  }, 120_000);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('has the same loss on both engines', () => {
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-4 * Math.abs(cpu.loss));
  });

  it('has a gradient for every trainable weight, within the bounds above of cpu', () => {
    expect([...wasm.byName.keys()].sort()).toEqual([...cpu.byName.keys()].sort());
    expect(cpu.byName.size).toBeGreaterThan(20);
    const layerOf = (name: string): string => name.slice(0, name.lastIndexOf('/'));
    const layerScale = new Map<string, number>();
    for (const [name, c] of cpu.byName) {
      layerScale.set(layerOf(name), Math.max(layerScale.get(layerOf(name)) ?? 0, maxAbs(c)));
    }
    const rows = [...cpu.byName].map(([name, c]) => {
      const err = maxAbsDiff(wasm.byName.get(name)!, c);
      const isConvKernel = /_conv\/kernel$/.test(name);
      return {
        name,
        own: err / maxAbs(c),
        bound: isConvKernel ? 1e-4 : 1e-3,
        scaled: err / (isConvKernel ? maxAbs(c) : layerScale.get(layerOf(name))!),
      };
    });
    const worstOwn = rows.reduce((a, b) => (b.own > a.own ? b : a));
    const worstConv = rows.filter((r) => r.bound === 1e-4).reduce((a, b) => (b.own > a.own ? b : a));
    console.log(
      `wasm vs cpu gradients: max relative error per tensor ${worstOwn.own.toExponential(2)} (${worstOwn.name}); ` +
        `conv kernels ${worstConv.own.toExponential(2)} (${worstConv.name})`,
    );
    for (const r of rows)
      expect({ name: r.name, within: r.scaled <= r.bound }).toEqual({ name: r.name, within: true });
  });
});
