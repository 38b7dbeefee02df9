import { describe, expect, it } from '@jest/globals';
import { stratifiedSplit } from './split';

describe('stratifiedSplit', () => {
  const labels = Array.from({ length: 100 }, (_, i) => (i % 5 < 2 ? 1 : 0)) as (0 | 1)[]; // 40 positive, 60 negative

  it('puts round(20 %) of each class in test (8 of 40 positives, 12 of 60 negatives)', () => {
    const split = stratifiedSplit(labels, 3);
    const count = (label: 0 | 1, s: string) => labels.filter((l, i) => l === label && split[i] === s).length;
    expect([count(1, 'test'), count(0, 'test'), count(1, 'train'), count(0, 'train')]).toEqual([
      8, 12, 32, 48,
    ]);
  });

  it('is seeded: same seed same split, another seed another split', () => {
    expect(stratifiedSplit(labels, 3)).toEqual(stratifiedSplit(labels, 3));
    expect(stratifiedSplit(labels, 4)).not.toEqual(stratifiedSplit(labels, 3));
  });

  it('handles a single class and an empty list', () => {
    expect(stratifiedSplit([0, 0, 0, 0, 0], 1).filter((s) => s === 'test')).toHaveLength(1);
    expect(stratifiedSplit([], 1)).toEqual([]);
  });
});
