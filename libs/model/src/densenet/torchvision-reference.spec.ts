import { beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { selectEngine } from '../engine';
import { loadWeightsByName } from '../io/load-weights-by-name';
import { buildModel } from './build-model';

// Weights and outputs from torchvision's DenseNet with the densenet-tiny layout (third-party
// implementation): fixtures/make_torchvision_reference.py explains the equivalence and regenerates them.
const FIXTURE = path.join(__dirname, 'fixtures', 'torchvision-tiny');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  input: { shape: [number, number, number, number] };
  pooled_features: number[][];
  probabilities: number[][];
};

/** The fixture's input: x[k] = 0.5 + 0.5 sin(0.37 k) over the flat NHWC index k. */
function fixtureInput(): tf.Tensor4D {
  const size = expected.input.shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, k) => 0.5 + 0.5 * Math.sin(0.37 * k));
  return tf.tensor4d(values, expected.input.shape);
}

beforeAll(async () => {
  await selectEngine('cpu');
});

describe('densenet-tiny against torchvision DenseNet(growth 12, blocks (2,2,2), 24 features)', () => {
  it("gives torchvision's class probabilities from the same weights", async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'imagenet', classes: 3 });
    await loadWeightsByName(model, FIXTURE);
    const got = tf.tidy(() => (model.predict(fixtureInput()) as tf.Tensor).arraySync() as number[][]);
    model.dispose();
    got.forEach((row, n) => row.forEach((p, c) => expect(p).toBeCloseTo(expected.probabilities[n]![c]!, 4)));
  });

  it("gives torchvision's pooled features from the backbone alone", async () => {
    const model = buildModel({ arch: 'densenet-tiny', inputSize: 32, head: 'none' });
    await loadWeightsByName(model, FIXTURE, { allowUnexpected: true });
    const got = tf.tidy(
      () => tf.mean(model.predict(fixtureInput()) as tf.Tensor, [1, 2]).arraySync() as number[][],
    );
    model.dispose();
    expect(got[0]).toHaveLength(48);
    got.forEach((row, n) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(expected.pooled_features[n]![c]!, 4)),
    );
  });
});
