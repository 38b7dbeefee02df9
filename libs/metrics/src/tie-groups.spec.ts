import { fixtureCases } from '../fixtures/reference';
import { tieGroups } from './tie-groups';

describe('tieGroups', () => {
  it('cuts the scores into distinct values with class counts', () => {
    const g = tieGroups([0, 1, 1, 0], [0.5, 0.5, 0.9, 0.1]);
    expect(Array.from(g.values)).toEqual([0.1, 0.5, 0.9]);
    expect(Array.from(g.positives)).toEqual([0, 1, 1]);
    expect(Array.from(g.negatives)).toEqual([1, 1, 0]);
    expect(g).toMatchObject({ nPositive: 2, nNegative: 2 });
  });

  it('handles empty input and single classes', () => {
    expect(tieGroups([], []).values.length).toBe(0);
    const g = tieGroups([1, 1, 1], [0.2, -0, 0]);
    expect(Array.from(g.values)).toEqual([0, 0.2]);
    expect(Array.from(g.positives)).toEqual([2, 1]);
    expect(g.nNegative).toBe(0);
  });

  it.each(fixtureCases.map((c) => [c.name, c] as const))('%s: agrees with counting in a Map', (_name, c) => {
    const counts = new Map<number, [number, number]>();
    c.scores.forEach((s, i) => {
      const entry = counts.get(s + 0) ?? [0, 0];
      entry[c.labels[i] === 1 ? 0 : 1]++;
      counts.set(s + 0, entry);
    });
    const distinct = [...counts.keys()].sort((a, b) => a - b);
    const g = tieGroups(c.labels, c.scores);
    expect(Array.from(g.values)).toEqual(distinct);
    expect(Array.from(g.positives)).toEqual(distinct.map((v) => counts.get(v)![0]));
    expect(Array.from(g.negatives)).toEqual(distinct.map((v) => counts.get(v)![1]));
  });
});
