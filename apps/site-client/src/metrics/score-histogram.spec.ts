import { describe, expect, it } from '@jest/globals';
import { scoreHistograms } from './score-histogram';

describe('scoreHistograms', () => {
  it('bins by floor(score · bins), with 1 in the last bin', () => {
    // Hand derivation with 4 bins [0,.25) [.25,.5) [.5,.75) [.75,1]:
    // negatives 0 → 0, 0.25 → 1, 0.49 → 1; positives 0.5 → 2, 0.99 → 3, 1 → 3.
    const h = scoreHistograms([0, 0, 0, 1, 1, 1], [0, 0.25, 0.49, 0.5, 0.99, 1], 4);
    expect(h).toEqual({ bins: 4, negative: [1, 2, 0, 0], positive: [0, 0, 1, 2] });
  });

  it('keeps every case: the counts sum to the class sizes', () => {
    const labels = [1, 0, 1, 0, 0];
    const h = scoreHistograms(labels, [0.3, 0.0004, 0.9996, 0.5, 0.7], 1000);
    expect(h.positive.reduce((a, b) => a + b, 0)).toBe(2);
    expect(h.negative.reduce((a, b) => a + b, 0)).toBe(3);
    expect(h.negative[0]).toBe(1); // 0.0004 < 0.001
    expect(h.positive[999]).toBe(1); // 0.9996 ≥ 0.999
  });

  it('refuses a score outside [0, 1] and mismatched lengths', () => {
    expect(() => scoreHistograms([0], [1.5], 10)).toThrow('score 0 is 1.5');
    expect(() => scoreHistograms([0, 1], [0.5], 10)).toThrow('2 labels but 1 scores');
    expect(() => scoreHistograms([0], [0.5], 0)).toThrow('bins 0');
  });
});
