import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectEngine } from '../engine';
import { weightShapes } from '../io/named-weights';
import type { Architecture } from './architectures';
import { buildModel, type Head } from './build-model';
import { countParameters, type ParameterCount } from './parameter-count';

beforeAll(async () => {
  await selectEngine('cpu');
});

/** Build, look, dispose: DenseNet201 holds 80 MB of weights. */
function inspect<T>(options: Parameters<typeof buildModel>[0], look: (m: tfl.LayersModel) => T): T {
  const model = buildModel(options);
  try {
    return look(model);
  } finally {
    model.dispose();
  }
}

interface Facts {
  count: ParameterCount;
  shapes: { name: string; shape: number[] }[];
  layers: string[];
}
const built = new Map<string, Facts>();

/** The large models are built once per (arch, head) for every test that only reads their structure. */
function facts(arch: Architecture, head: Head): Facts {
  const key = `${arch}/${head}`;
  let f = built.get(key);
  if (!f) {
    f = inspect({ arch, head }, (m) => ({
      count: countParameters(m),
      shapes: weightShapes(m),
      layers: m.layers.map((l) => l.name),
    }));
    built.set(key, f);
  }
  return f;
}

describe('buildModel parameter counts', () => {
  // "Total params" of Keras applications (keras.io/api/applications, and `model.summary()` of
  // keras.applications.DenseNetNNN(weights=None) with and without include_top).
  const keras = [
    { arch: 'densenet121', top: 8_062_504, noTop: 7_037_504 },
    { arch: 'densenet169', top: 14_307_880, noTop: 12_642_880 },
    { arch: 'densenet201', top: 20_242_984, noTop: 18_321_984 },
  ] as const;

  it.each(keras)(
    "$arch has Keras's $top parameters with the ImageNet top and $noTop without",
    ({ arch, top, noTop }) => {
      expect(facts(arch, 'imagenet').count.params).toBe(top);
      expect(facts(arch, 'none').count.params).toBe(noTop);
    },
  );

  it('leaves BatchNorm moving statistics untrainable: DenseNet201 has 20,013,928 trainable', () => {
    // Keras summary of DenseNet201: "Trainable params: 20,013,928", "Non-trainable params: 229,056"
    // (= 2 × the 114,528 BatchNorm channels).
    expect(facts('densenet201', 'imagenet').count).toEqual({
      params: 20_242_984,
      trainableParams: 20_013_928,
    });
  });

  it('adds 1920 + 1 weights for the binary head of DenseNet201', () => {
    // Dense(1) on the 1920 channels of `relu`: a 1920×1 kernel and one bias; dropout has none.
    expect(facts('densenet201', 'binary').count.params).toBe(18_321_984 + 1921);
  });
});

describe('buildModel weight names and order match Keras', () => {
  it('starts with the stem in Keras order (kernel, then gamma, beta, moving_mean, moving_variance)', () => {
    const weights = facts('densenet201', 'imagenet').shapes;
    // keras/src/applications/densenet.py: Conv2D(64, 7, use_bias=False, name="conv1_conv") on RGB,
    // then BatchNormalization(name="conv1_bn"), whose weights Keras lists in this order.
    expect(weights.slice(0, 6)).toEqual([
      { name: 'conv1_conv/kernel', shape: [7, 7, 3, 64] },
      { name: 'conv1_bn/gamma', shape: [64] },
      { name: 'conv1_bn/beta', shape: [64] },
      { name: 'conv1_bn/moving_mean', shape: [64] },
      { name: 'conv1_bn/moving_variance', shape: [64] },
      { name: 'conv2_block1_0_bn/gamma', shape: [64] },
    ]);
  });

  it('ends DenseNet201 with conv5_block32, bn [1920] and predictions [1920, 1000]', () => {
    const weights = facts('densenet201', 'imagenet').shapes;
    // Channels by hand: stem 64; conv2 64+6·32 = 256 → pool2 128; conv3 128+12·32 = 512 → 256;
    // conv4 256+48·32 = 1792 → 896; conv5 896+32·32 = 1920. Bottleneck 4·32 = 128 → 3×3 conv to 32.
    expect(weights.slice(-7)).toEqual([
      { name: 'conv5_block32_2_conv/kernel', shape: [3, 3, 128, 32] },
      { name: 'bn/gamma', shape: [1920] },
      { name: 'bn/beta', shape: [1920] },
      { name: 'bn/moving_mean', shape: [1920] },
      { name: 'bn/moving_variance', shape: [1920] },
      { name: 'predictions/kernel', shape: [1920, 1000] },
      { name: 'predictions/bias', shape: [1000] },
    ]);
  });

  it('names the transitions pool{b}_bn/relu/conv/pool and halves channels (compression 0.5)', () => {
    const { layers: names, shapes } = facts('densenet121', 'none');
    expect(names.slice(0, 7)).toEqual([
      'input_1',
      'zero_padding2d',
      'conv1_conv',
      'conv1_bn',
      'conv1_relu',
      'zero_padding2d_1',
      'pool1',
    ]);
    expect(names).toEqual(
      expect.arrayContaining(['pool4_bn', 'pool4_relu', 'pool4_conv', 'pool4_pool', 'bn', 'relu']),
    );
    // DenseNet121 conv4 ends with 256 + 24·32 = 1024 channels; pool4_conv keeps ⌊1024 × 0.5⌋ = 512.
    expect(shapes.find((w) => w.name === 'pool4_conv/kernel')?.shape).toEqual([1, 1, 1024, 512]);
    expect(names.at(-1)).toBe('relu');
  });

  it('names the binary head aln_pool → aln_dropout → aln_output with one sigmoid unit', () => {
    const { names, output } = inspect(
      { arch: 'densenet-tiny', inputSize: 32, head: 'binary', dropout: 0.3 },
      (m) => ({
        names: m.layers.slice(-3).map((l) => l.getClassName() + ':' + l.name),
        output: m.outputs[0]?.shape,
      }),
    );
    expect(names).toEqual(['GlobalAveragePooling2D:aln_pool', 'Dropout:aln_dropout', 'Dense:aln_output']);
    expect(output).toEqual([null, 1]);
  });
});

describe('densenet-tiny', () => {
  it('uses growth 12, blocks [2,2,2] and a 24-filter stem', () => {
    const shapes = inspect({ arch: 'densenet-tiny', inputSize: 32, head: 'none' }, weightShapes);
    const shape = (name: string) => shapes.find((w) => w.name === name)?.shape;
    expect(shape('conv1_conv/kernel')).toEqual([7, 7, 3, 24]);
    // 24 + 2·12 = 48 channels into pool2, which keeps 24; bottleneck 4·12 = 48; growth 12.
    expect(shape('pool2_conv/kernel')).toEqual([1, 1, 48, 24]);
    expect(shape('conv4_block2_1_conv/kernel')).toEqual([1, 1, 36, 48]);
    expect(shape('conv4_block2_2_conv/kernel')).toEqual([3, 3, 48, 12]);
    expect(shape('conv5_block1_0_bn/gamma')).toBeUndefined();
    expect(shape('bn/gamma')).toEqual([48]);
  });

  it('runs a forward pass to one probability per image without leaking tensors', () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', seed: 1 });
    const before = tf.memory().numTensors;
    const p = tf.tidy(() => (model.predict(tf.ones([2, 32, 32, 3])) as tf.Tensor).arraySync() as number[][]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(p).toHaveLength(2);
    for (const [v] of p) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
    }
  });
});

describe('seeded initialisation', () => {
  const values = (seed: number | undefined) =>
    inspect({ arch: 'densenet-tiny', inputSize: 32, seed }, (m) =>
      m.getWeights().map((w) => [...w.dataSync()]),
    );

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const a = values(7);
    expect(values(7)).toEqual(a);
    expect(values(8)).not.toEqual(a);
  });

  it('gives equally shaped kernels of different layers different values', () => {
    const kernels = inspect({ arch: 'densenet-tiny', inputSize: 32, seed: 7 }, (m) =>
      ['conv2_block1_2_conv', 'conv2_block2_2_conv'].map((n) => [
        ...m.getLayer(n).getWeights()[0]!.dataSync(),
      ]),
    );
    expect(kernels[0]).toHaveLength(3 * 3 * 48 * 12);
    expect(kernels[0]).not.toEqual(kernels[1]);
  });
});

describe('aln_dropout', () => {
  it('draws a new mask at every training call even in a seeded model', () => {
    // tfjs Dropout with a seed re-creates its generator per call (tfjs-core random_uniform), which
    // would drop the same units at every step; the head must not pass one.
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'binary', dropout: 0.5, seed: 1 });
    const layer = model.getLayer('aln_dropout');
    const [a, b] = tf.tidy(() =>
      [1, 2].map(() => [...(layer.apply(tf.ones([1, 256]), { training: true }) as tf.Tensor).dataSync()]),
    );
    model.dispose();
    // Half of 256 units dropped, the rest scaled by 1/(1 − 0.5) = 2 (inverted dropout).
    expect(new Set(a)).toEqual(new Set([0, 2]));
    expect(a).not.toEqual(b);
  });
});

describe('buildModel input checks', () => {
  it('rejects an input too small for the stride-32 stack and names the value', () => {
    // 224 → 112 (conv1) → 56 (pool1) → 28 → 14 → 7: five halvings; 16 px ends at 0.
    expect(() => buildModel({ arch: 'densenet201', inputSize: 16 })).toThrow(
      /inputSize 16 is too small for densenet201/,
    );
  });

  it('rejects an unknown architecture, listing the known ones', () => {
    expect(() => buildModel({ arch: 'resnet50' as never })).toThrow(
      /densenet121, densenet169, densenet201, densenet-tiny/,
    );
  });
});
