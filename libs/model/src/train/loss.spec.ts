import { describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { balancedClassWeights, resolveClassWeights, weightedBinaryCrossEntropy } from './loss';

describe('balancedClassWeights', () => {
  it("matches scikit-learn's compute_class_weight('balanced') = n / (2 · bincount)", () => {
    // The study's cohort: 324 patients, 126 ALN-positive, 198 negative (Oncoradiology 34(3):216).
    const labels = [...Array(198).fill(0), ...Array(126).fill(1)] as number[];
    const w = balancedClassWeights(labels);
    expect(w[0]).toBeCloseTo(324 / 396, 12); // 0.8181…
    expect(w[1]).toBeCloseTo(324 / 252, 12); // 1.2857…
  });

  it('refuses a single-class training set, naming the counts', () => {
    expect(() => balancedClassWeights([0, 0, 0])).toThrow('3 negative and 0 positive');
    expect(() => resolveClassWeights({ 0: 1, 1: -2 }, [0, 1])).toThrow('class 1 is -2');
  });
});

describe('weightedBinaryCrossEntropy', () => {
  it('equals a hand computation: (2·(−ln 0.8) + 0.5·(−ln 0.7)) / 2', () => {
    const loss = tf.tidy(() =>
      weightedBinaryCrossEntropy(
        tf.tensor2d([[1], [0]]),
        tf.tensor2d([[0.8], [0.3]]),
        tf.tensor2d([[2], [0.5]]),
      ).dataSync(),
    );
    expect(loss[0]).toBeCloseTo((2 * -Math.log(0.8) + 0.5 * -Math.log(0.7)) / 2, 5);
  });

  it('with unit weights equals tfjs-layers binaryCrossentropy (a third-party implementation)', () => {
    const [ours, theirs] = tf.tidy(() => {
      const y = tf.tensor2d([[1], [0], [1], [0]]);
      const p = tf.tensor2d([[0.9], [0.2], [1e-9], [0.999999999]]); // the last two exercise clipping
      return [
        weightedBinaryCrossEntropy(y, p, tf.onesLike(y)).dataSync()[0]!,
        tf.mean(tfl.metrics.binaryCrossentropy(y, p)).dataSync()[0]!,
      ];
    });
    expect(ours).toBeCloseTo(theirs, 4);
  });
});
