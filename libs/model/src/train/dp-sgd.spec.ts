/**
 * The DP-SGD gradient (dp-sgd.ts): clipping, noise and the plain-SGD limit, against numpy
 * (libs/model/fixtures/dp-sgd/make_reference.py) and against tfjs's own batch gradient.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-layers registers tfjs-core's gradient functions (this spec itself uses core ops only).
import '@tensorflow/tfjs-layers';
import { cryptoDpRandomness, seededDpRandomness } from './dp-randomness';
import { clippedGradientSum, noisyGradients } from './dp-sgd';
import { weightedBinaryCrossEntropy } from './loss';

interface Reference {
  source: string;
  W1: number[][];
  b1: number[];
  W2: number[][];
  b2: number[];
  x: number[][];
  y: number[];
  w: number[];
  losses: number[];
  norms: number[];
  cases: Array<{ clip_norm: number | 'Infinity'; denominator: number; gradients: number[][] }>;
}

const reference = Object.freeze(
  JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'fixtures', 'dp-sgd', 'reference.json'), 'utf8'),
  ) as Reference,
);

/** The fixture's two-layer network as tf variables and a per-example loss over its rows. */
function fixtureNet(): {
  variables: tf.Variable[];
  exampleLoss: (k: number) => tf.Scalar;
  batchLoss: () => tf.Scalar;
  dispose: () => void;
} {
  const variables = [
    tf.variable(tf.tensor2d(reference.W1)),
    tf.variable(tf.tensor1d(reference.b1)),
    tf.variable(tf.tensor2d(reference.W2)),
    tf.variable(tf.tensor1d(reference.b2)),
  ];
  const [W1, b1, W2, b2] = variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const forward = (x: tf.Tensor2D): tf.Tensor =>
    tf.sigmoid(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, W1), b1)), W2), b2));
  const rows = (ks: number[]): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] => [
    tf.tensor2d(ks.map((k) => reference.x[k]!)),
    tf.tensor2d(ks.map((k) => [reference.y[k]!])),
    tf.tensor2d(ks.map((k) => [reference.w[k]!])),
  ];
  const loss = (ks: number[]): tf.Scalar => {
    const [x, y, w] = rows(ks);
    return weightedBinaryCrossEntropy(y, forward(x), w);
  };
  const all = reference.x.map((_, k) => k);
  return {
    variables,
    exampleLoss: (k) => loss([k]),
    batchLoss: () => loss(all),
    dispose: () => tf.dispose(variables),
  };
}

const l2 = (arrays: ArrayLike<number>[]): number =>
  Math.sqrt(arrays.reduce((s, a) => s + Array.from(a).reduce((t, v) => t + v * v, 0), 0));

describe('DP-SGD gradient', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('clips each example’s gradient to norm ≤ C and keeps its direction (numpy norms)', () => {
    const net = fixtureNet();
    const count = reference.x.length;
    for (const clipNorm of [1, 0.25]) {
      for (let k = 0; k < count; k++) {
        const raw = clippedGradientSum(() => net.exampleLoss(k), 1, net.variables, Infinity);
        const clipped = clippedGradientSum(() => net.exampleLoss(k), 1, net.variables, clipNorm);
        // The unclipped norm is numpy's (float32 arithmetic here).
        expect(raw.norms[0]).toBeCloseTo(reference.norms[k]!, 5);
        const rawValues = raw.sums.map((t) => t.dataSync());
        const clippedValues = clipped.sums.map((t) => t.dataSync());
        const norm = l2(clippedValues);
        expect(norm).toBeLessThanOrEqual(clipNorm * (1 + 1e-6));
        expect(norm).toBeCloseTo(Math.min(reference.norms[k]!, clipNorm), 5);
        // Same direction: clipped = raw × min(1, C/‖raw‖).
        const scale = Math.min(1, clipNorm / raw.norms[0]!);
        rawValues.forEach((r, i) =>
          r.forEach((v, j) => expect(clippedValues[i]![j]).toBeCloseTo(v * scale, 6)),
        );
        tf.dispose([...raw.sums, ...clipped.sums]);
      }
    }
    net.dispose();
  });

  it.each(reference.cases.map((c) => [c.clip_norm, c] as const))(
    'σ = 0, C = %s: Σ clip(g_i) / B equals numpy’s reference',
    (_, c) => {
      const net = fixtureNet();
      const clipNorm = c.clip_norm === 'Infinity' ? Infinity : c.clip_norm;
      const { sums, lossSum } = clippedGradientSum(
        net.exampleLoss,
        reference.x.length,
        net.variables,
        clipNorm,
      );
      const grads = noisyGradients(
        sums,
        { noiseMultiplier: 0, clipNorm, denominator: c.denominator },
        seededDpRandomness(1),
      );
      expect(lossSum).toBeCloseTo(
        reference.losses.reduce((a, b) => a + b, 0),
        5,
      );
      grads.forEach((g, i) => {
        const got = Array.from(g.dataSync());
        const want = c.gradients[i]!;
        expect(got).toHaveLength(want.length);
        got.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(1e-6 + 1e-5 * Math.abs(want[j]!)));
      });
      tf.dispose([...sums, ...grads]);
      net.dispose();
    },
  );

  it('σ = 0, C = ∞ is plain SGD: the mean of per-example gradients is the batch-mean loss’s gradient', () => {
    const net = fixtureNet();
    const count = reference.x.length;
    const { sums } = clippedGradientSum(net.exampleLoss, count, net.variables, Infinity);
    const [dp] = [
      noisyGradients(
        sums,
        { noiseMultiplier: 0, clipNorm: Infinity, denominator: count },
        seededDpRandomness(1),
      ),
    ];
    const plain = tf.variableGrads(net.batchLoss, net.variables);
    net.variables.forEach((v, i) => {
      const want = plain.grads[v.name]!.dataSync();
      const got = dp[i]!.dataSync();
      got.forEach((value, j) =>
        expect(Math.abs(value - want[j]!)).toBeLessThan(1e-6 + 1e-5 * Math.abs(want[j]!)),
      );
    });
    tf.dispose([...sums, ...dp, plain.value, ...Object.values(plain.grads)]);
    net.dispose();
  });

  it('adds N(0, σ²C²) per coordinate: sample std within 2.5 % of σC (seed 11, n = 20 000)', () => {
    // Sample std of n normals has standard error ≈ σC/√(2n) = 0.5 % of σC; 2.5 % is five of them.
    // The mean's standard error is σC/√n; allowed: five of them, divided by the denominator.
    const [noiseMultiplier, clipNorm, denominator] = [1.5, 2, 4];
    const zero = [tf.zeros([100, 200])];
    const [noisy] = noisyGradients(zero, { noiseMultiplier, clipNorm, denominator }, seededDpRandomness(11));
    const values = Array.from(noisy!.dataSync()).map((v) => v * denominator);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const expected = noiseMultiplier * clipNorm;
    expect(Math.abs(std / expected - 1)).toBeLessThan(0.025);
    expect(Math.abs(mean)).toBeLessThan((5 * expected) / Math.sqrt(values.length));
    // The noise is not the same draw on each call (fresh per step).
    const [again] = noisyGradients(zero, { noiseMultiplier, clipNorm, denominator }, seededDpRandomness(12));
    expect(again!.dataSync()[0]).not.toBe(noisy!.dataSync()[0]);
    tf.dispose([...zero, noisy!, again!]);
  });

  it('the cryptographic source gives standard normals too (std within 2.5 %, n = 20 000)', () => {
    const values = cryptoDpRandomness().normals(20_000);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    expect(Math.abs(std - 1)).toBeLessThan(0.025);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(values.length));
  });

  it('refuses noise with an infinite clip norm, a negative σ and a zero denominator, naming the value', () => {
    const sums = [tf.zeros([2])];
    const random = seededDpRandomness(1);
    expect(() =>
      noisyGradients(sums, { noiseMultiplier: 1, clipNorm: Infinity, denominator: 1 }, random),
    ).toThrow(/clip norm Infinity must be finite/);
    expect(() => noisyGradients(sums, { noiseMultiplier: -1, clipNorm: 1, denominator: 1 }, random)).toThrow(
      /noise multiplier -1/,
    );
    expect(() => noisyGradients(sums, { noiseMultiplier: 1, clipNorm: 1, denominator: 0 }, random)).toThrow(
      /denominator 0/,
    );
    expect(() => clippedGradientSum(() => tf.scalar(0), 1, [], 0)).toThrow(/clip norm 0/);
    tf.dispose(sums);
  });

  it('leaves no tensors behind', () => {
    const net = fixtureNet();
    const before = tf.memory().numTensors;
    const { sums } = clippedGradientSum(net.exampleLoss, reference.x.length, net.variables, 1);
    const grads = noisyGradients(
      sums,
      { noiseMultiplier: 1, clipNorm: 1, denominator: 5 },
      seededDpRandomness(3),
    );
    tf.dispose([...sums, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
