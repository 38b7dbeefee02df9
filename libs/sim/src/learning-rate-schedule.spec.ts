import { describe, expect, it } from '@jest/globals';
import { roundLearningRate } from './learning-rate-schedule';

describe('roundLearningRate', () => {
  it('constant: the study rate every round', () => {
    expect([1, 2, 3].map((r) => roundLearningRate(0.005, r, 3, 'constant'))).toEqual([0.005, 0.005, 0.005]);
  });

  it('cosine: η·½(1 + cos(π(r − ½)/R)), from near η down to near 0, symmetric about ½η', () => {
    // R = 4: cos(π/8) = 0.92388, cos(3π/8) = 0.38268 (by hand).
    const rates = [1, 2, 3, 4].map((r) => roundLearningRate(1, r, 4, 'cosine'));
    [0.96194, 0.69134, 0.30866, 0.03806].forEach((x, i) => expect(rates[i]).toBeCloseTo(x, 5));
    expect(rates[0]! + rates[3]!).toBeCloseTo(1, 12);
    expect(roundLearningRate(0.004, 1, 1, 'cosine')).toBeCloseTo(0.002, 12);
  });

  it('refuses a round outside 1…R', () => {
    expect(() => roundLearningRate(1, 0, 4, 'cosine')).toThrow('round 0 is not in 1…4');
    expect(() => roundLearningRate(1, 5, 4, 'constant')).toThrow('round 5 is not in 1…4');
  });
});
