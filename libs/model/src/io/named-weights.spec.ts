import { beforeAll, describe, expect, it } from '@jest/globals';
import { buildModel } from '../densenet/build-model';
import { selectEngine } from '../engine';
import { namedWeights, setNamedWeights, weightShapes } from './named-weights';

beforeAll(async () => {
  await selectEngine('cpu');
});

const tiny = (seed: number) => buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed });

describe('namedWeights', () => {
  it('lists weights layer by layer as Keras does, not trainable-first as tfjs model.weights does', () => {
    const model = tiny(1);
    const names = namedWeights(model).map((w) => w.name);
    const tfjsOrder = model.weights.map((w) => w.originalName);
    model.dispose();
    // Keras BatchNormalization weights: gamma, beta, moving_mean, moving_variance, per layer.
    expect(names.slice(1, 5)).toEqual([
      'conv1_bn/gamma',
      'conv1_bn/beta',
      'conv1_bn/moving_mean',
      'conv1_bn/moving_variance',
    ]);
    expect(tfjsOrder.indexOf('conv1_bn/moving_mean')).toBeGreaterThan(5);
    expect([...names].sort()).toEqual([...tfjsOrder].sort());
  });

  it('matches weightShapes and hands out copies, not the backend buffers', () => {
    const model = tiny(2);
    const first = namedWeights(model);
    expect(first.map(({ name, shape }) => ({ name, shape }))).toEqual(weightShapes(model));
    const kept = first[0]!.values[0];
    first[0]!.values[0] = 1e6;
    expect(namedWeights(model)[0]!.values[0]).toBe(kept);
    model.dispose();
  });
});

describe('setNamedWeights', () => {
  it('makes one model equal to another and copies the given arrays', () => {
    const a = tiny(3);
    const b = tiny(4);
    const list = namedWeights(a);
    setNamedWeights(b, list);
    expect(namedWeights(b)).toEqual(list);
    list[0]!.values.fill(0);
    expect(namedWeights(b)[0]!.values).toEqual(namedWeights(a)[0]!.values);
    a.dispose();
    b.dispose();
  });

  it('rejects a list with too few values for a shape, naming the weight', () => {
    const model = tiny(5);
    const list = namedWeights(model);
    list[1] = { ...list[1]!, values: new Float32Array(3) };
    expect(() => setNamedWeights(model, list, { source: 'blob abc' })).toThrow(
      /weights from blob abc do not fit model "densenet_tiny": mis-shaped: conv1_bn\/gamma has shape \[24\] \(3 values\)/,
    );
    model.dispose();
  });
});
