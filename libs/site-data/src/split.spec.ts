import { describe, expect, it } from '@jest/globals';
import { Xoshiro128StarStar } from './prng';
import { seededSplit, stratifiedSplit, validationHoldOut } from './split';

// 20 cases, 8 positive: 1 1 0 0 0 1 1 0 0 0 …
const LABELS = Object.freeze(Array.from({ length: 20 }, (_, i) => (i % 5 < 2 ? 1 : 0))) as readonly (0 | 1)[];
/** 'T' for test, '.' for train. */
const pattern = (splits: readonly string[]) => splits.map((s) => (s === 'test' ? 'T' : '.')).join('');

describe('seededSplit', () => {
  it('keeps every existing assignment (reference: libs/model/src/data/split.ts at 4eb4f11)', () => {
    // Printed by stratifiedSplit(LABELS, 0.2, seed) of libs/model at commit 4eb4f11, the split of
    // every site folder without a split column until then.
    expect(pattern(seededSplit(LABELS, { seed: 1 }))).toBe('T....T......T......T');
    expect(pattern(seededSplit(LABELS, { seed: 7 }))).toBe('T.....T.T....T......');
    expect(pattern(seededSplit(LABELS, { seed: 20251127 }))).toBe('T...T...........T.T.');
  });

  it('puts round(0.2·n_c) of each class in test, reproducibly per seed', () => {
    const labels = [...Array(50).fill(0), ...Array(30).fill(1)] as (0 | 1)[];
    const split = seededSplit(labels, { seed: 11 });
    const testOf = (c: number) => labels.filter((y, i) => y === c && split[i] === 'test').length;
    expect([testOf(0), testOf(1)]).toEqual([10, 6]);
    expect(seededSplit(labels, { seed: 11 })).toEqual(split);
    expect(seededSplit(labels, { seed: 12 })).not.toEqual(split);
    expect(seededSplit(labels, { seed: 11, testFraction: 0.5 }).filter((s) => s === 'test')).toHaveLength(40);
  });
});

describe('stratifiedSplit', () => {
  it('asks for class 0 first, then class 1, and draws n_c − 1 times from each', () => {
    const asked: number[] = [];
    const rng = Xoshiro128StarStar.fromSeed(3);
    const draws: number[] = [];
    stratifiedSplit(LABELS, {
      random: (label) => {
        asked.push(label);
        return { nextInt: (n) => (draws.push(n), rng.nextInt(n)) };
      },
    });
    expect(asked).toEqual([0, 1]);
    // Fisher–Yates over 12 negatives (bounds 12 … 2), then 8 positives (8 … 2).
    expect(draws).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 8, 7, 6, 5, 4, 3, 2]);
  });

  it('handles a single class, an empty list, and rejects a fraction outside [0, 1]', () => {
    const random = () => Xoshiro128StarStar.fromSeed(1);
    expect(stratifiedSplit([0, 0, 0, 0, 0], { random }).filter((s) => s === 'test')).toHaveLength(1);
    expect(stratifiedSplit([], { random })).toEqual([]);
    expect(() => stratifiedSplit(LABELS, { random, testFraction: 1.2 })).toThrow(
      'test fraction 1.2 is not in [0, 1]',
    );
  });
});

describe('validationHoldOut', () => {
  const cases = Object.freeze(LABELS.map((label, i) => Object.freeze({ id: i, label })));

  it('holds out round(fraction·n_c) of each class, reproducibly per seed, and keeps the order', () => {
    const { train, validation } = validationHoldOut(cases, { seed: 5, fraction: 0.25 });
    // 12 negatives → 3, 8 positives → 2 (round(0.25·n_c)).
    expect(validation.filter((c) => c.label === 0)).toHaveLength(3);
    expect(validation.filter((c) => c.label === 1)).toHaveLength(2);
    expect([...train, ...validation].map((c) => c.id).sort((a, b) => a - b)).toEqual(cases.map((c) => c.id));
    expect(train.map((c) => c.id)).toEqual([...train.map((c) => c.id)].sort((a, b) => a - b));
    expect(validationHoldOut(cases, { seed: 5, fraction: 0.25 })).toEqual({ train, validation });
    expect(validationHoldOut(cases, { seed: 6, fraction: 0.25 }).validation).not.toEqual(validation);
  });

  it('draws a stream unrelated to the train/test split of the same seed', () => {
    // The same seed and fraction through seededSplit would pick these ids; the hold-out must not.
    const test = seededSplit(LABELS, { seed: 1 }).flatMap((s, i) => (s === 'test' ? [i] : []));
    const validation = validationHoldOut(cases, { seed: 1, fraction: 0.2 }).validation.map((c) => c.id);
    expect(validation).toHaveLength(test.length);
    expect(validation).not.toEqual(test);
  });

  it('holds out nothing at fraction 0 (studies before issue 15) and refuses a fraction outside [0, 1)', () => {
    expect(validationHoldOut(cases, { seed: 1, fraction: 0 })).toEqual({ train: [...cases], validation: [] });
    expect(() => validationHoldOut(cases, { seed: 1, fraction: 1 })).toThrow(
      'validation fraction 1 is not in [0, 1)',
    );
  });
});
