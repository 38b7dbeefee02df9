import { describe, expect, it } from '@jest/globals';
import { phantomSplit } from './split';

describe('phantomSplit', () => {
  const labels = Object.freeze(Array.from({ length: 100 }, (_, i) => (i % 5 < 2 ? 1 : 0))) as readonly (
    0 | 1
  )[]; // 40 positive, 60 negative
  /** 'T' for test, '.' for train. */
  const pattern = (splits: readonly string[]) => splits.map((s) => (s === 'test' ? 'T' : '.')).join('');

  it('keeps the phantom’s assignments (reference: libs/phantom/src/split.ts at 4eb4f11)', () => {
    // Printed by stratifiedSplit(labels, seed) of libs/phantom at commit 4eb4f11.
    expect(pattern(phantomSplit(labels, 3))).toBe(
      '.....T.....T.TT..T.....T..T..........T...TT...T..T.T..T..T..T......................T......T..T...T..',
    );
    expect(pattern(phantomSplit(labels.slice(0, 20), 1))).toBe('....T.T....T.....T..');
  });

  it('puts round(20 %) of each class in test (8 of 40 positives, 12 of 60 negatives)', () => {
    const split = phantomSplit(labels, 3);
    const count = (label: 0 | 1, s: string) => labels.filter((l, i) => l === label && split[i] === s).length;
    expect([count(1, 'test'), count(0, 'test'), count(1, 'train'), count(0, 'train')]).toEqual([
      8, 12, 32, 48,
    ]);
  });

  it('is seeded: same seed same split, another seed another split', () => {
    expect(phantomSplit(labels, 3)).toEqual(phantomSplit(labels, 3));
    expect(phantomSplit(labels, 4)).not.toEqual(phantomSplit(labels, 3));
  });

  it('handles a single class and an empty list', () => {
    expect(phantomSplit([0, 0, 0, 0, 0], 1).filter((s) => s === 'test')).toHaveLength(1);
    expect(phantomSplit([], 1)).toEqual([]);
  });
});
