/**
 * trainModelDpSgd on densenet-tiny (16 px): the study's number of steps, Poisson batches, BatchNorm
 * left as it was (inference mode, no update), reproducible with seeded randomness, no tensors left.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel } from '../densenet/build-model';
import { createPrng } from '@fedaln/site-data';
import { seededDpRandomness } from './dp-randomness';
import { trainModelDpSgd } from './train-dp-sgd';

const SIZE = 16;

function toySet(n: number): { images: Float32Array[]; labels: number[] } {
  const rng = createPrng(5);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const images = labels.map((y) =>
    Float32Array.from({ length: SIZE * SIZE * 3 }, () => (y ? 0.5 : -0.5) + rng.normal()),
  );
  return { images, labels };
}

const weightsOf = (model: ReturnType<typeof buildModel>): Map<string, Float32Array> =>
  new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));

describe('trainModelDpSgd (cpu)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  const options = (seed: number) => ({
    epochs: 1,
    batchSize: 4,
    learningRate: 0.01,
    seed: 1,
    augment: true,
    dp: { noiseMultiplier: 1, clipNorm: 1, samplingRate: 0.25, steps: 3 },
    randomness: seededDpRandomness(seed),
  });

  it('takes the given steps, keeps BatchNorm as it was, is reproducible and leaks no tensors', async () => {
    const data = toySet(8);
    const run = async (seed: number) => {
      const model = buildModel({
        arch: 'densenet-tiny',
        inputSize: SIZE,
        head: 'binary',
        seed: 2,
        dropout: 0.2,
      });
      const before = weightsOf(model);
      const tensorsBefore = tf.memory().numTensors;
      const result = await trainModelDpSgd(model, data, options(seed));
      const leaked = tf.memory().numTensors - tensorsBefore;
      const after = weightsOf(model);
      model.dispose();
      return { before, after, result, leaked };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.leaked).toBe(0);
    expect(a.result.steps).toBe(3);
    expect(a.result.batchSizes).toHaveLength(3);
    expect(a.result.batchSizes.reduce((s, x) => s + x, 0)).toBeGreaterThan(0);
    expect(a.result.clippedFraction).toBeGreaterThanOrEqual(0);
    expect(a.result.clippedFraction).toBeLessThanOrEqual(1);
    let trainedChanged = 0;
    let batchNormWeights = 0;
    for (const [name, value] of a.before) {
      const after = a.after.get(name)!;
      const same = value.every((v, i) => v === after[i]);
      // BatchNorm: γ, β and the moving statistics are neither trained nor updated (they would leak).
      if (/_bn\/|^bn\//.test(name)) {
        batchNormWeights++;
        expect({ name, same }).toEqual({ name, same: true });
      } else if (!same) trainedChanged++;
      // Same seed, same randomness: bit-identical weights.
      expect(b.after.get(name)).toEqual(after);
    }
    expect(trainedChanged).toBeGreaterThan(0);
    expect(batchNormWeights).toBeGreaterThan(0);
    // Other randomness: another sample and other noise.
    expect([...c.after].some(([name, v]) => v.some((x, i) => x !== a.after.get(name)![i]))).toBe(true);
  }, 180_000);

  it('refuses bad DP settings naming the value', async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 2, dropout: 0 });
    const data = toySet(4);
    const bad = async (dp: Partial<ReturnType<typeof options>['dp']>) =>
      trainModelDpSgd(model, data, { ...options(1), dp: { ...options(1).dp, ...dp } });
    await expect(bad({ samplingRate: 0 })).rejects.toThrow(/dp sampling rate 0 is not in \(0, 1\]/);
    await expect(bad({ steps: 1.5 })).rejects.toThrow(/dp steps 1.5/);
    await expect(bad({ clipNorm: -1 })).rejects.toThrow(/dp clip norm -1/);
    await expect(bad({ noiseMultiplier: NaN })).rejects.toThrow(/dp noise multiplier NaN/);
    model.dispose();
  });

  it('adds FedProx’s proximal term to the noisy gradient: a strong μ keeps the weights nearer the start', async () => {
    const data = toySet(8);
    const distance = async (mu: number) => {
      const model = buildModel({
        arch: 'densenet-tiny',
        inputSize: SIZE,
        head: 'binary',
        seed: 2,
        dropout: 0,
      });
      const start = weightsOf(model);
      const tensors = tf.memory().numTensors;
      await trainModelDpSgd(model, data, {
        ...options(5),
        scope: 'head',
        dp: { noiseMultiplier: 1, clipNorm: 1, samplingRate: 0.25, steps: 4 },
        proximal: { mu },
      });
      expect(tf.memory().numTensors).toBe(tensors);
      const end = weightsOf(model);
      model.dispose();
      let sum = 0;
      for (const [name, v] of start) end.get(name)!.forEach((x, i) => (sum += (x - v[i]!) ** 2));
      return Math.sqrt(sum);
    };
    const free = await distance(0);
    const held = await distance(1000);
    expect(free).toBeGreaterThan(0);
    expect(held).toBeLessThan(free);
  }, 120_000);
});
