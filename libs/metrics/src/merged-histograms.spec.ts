import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import {
  candidateEdges,
  mergedThresholdCounts,
  mergeScoreHistograms,
  unmergedHistograms,
} from './merged-histograms';
import { scoreHistograms } from './site-histograms';

const counts = (h: { positive: number[]; negative: number[] }) => [...h.positive, ...h.negative];
const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

describe('mergeScoreHistograms', () => {
  it('hand example (the doc comment): halves split, quarters would release 2 negatives and 3 positives', () => {
    expect(mergeScoreHistograms({ bins: 4, positive: [0, 0, 3, 5], negative: [6, 2, 0, 0] }, 5)).toEqual({
      bins: 4,
      edges: [0, 2, 4],
      positive: [0, 8],
      negative: [8, 0],
    });
  });

  it('a class under k leaves one bin [0, 1] holding the totals', () => {
    const fine = scoreHistograms(
      [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
      [0.9, 0.8, 0.2, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    );
    expect(mergeScoreHistograms(fine, 5)).toEqual({
      bins: 100,
      edges: [0, 100],
      positive: [3],
      negative: [7],
    });
  });

  it('all-tied scores: one bin [0, 1] (no edge can hold a case on both sides)', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const h = mergeScoreHistograms(
      scoreHistograms(
        labels,
        labels.map(() => 0.5),
      ),
      5,
    );
    expect(h).toEqual({ bins: 100, edges: [0, 100], positive: [20], negative: [20] });
  });

  it.each([
    [65, 1, 5],
    [324, 2, 5],
    [1000, 3, 5],
    [200, 4, 10],
    [30, 5, 3],
  ])(
    'n = %i (seed %i), k = %i: every count is 0 or ≥ k, and the bins add up to the fine histograms',
    (n, seed, k) => {
      const { labels, scores } = seededSite(n, seed, 0.39, 1.8, 3);
      const fine = scoreHistograms(labels, scores);
      const h = mergeScoreHistograms(fine, k);
      const classesOk = sum(fine.positive) >= k && sum(fine.negative) >= k;
      if (classesOk || h.edges.length > 2) expect(counts(h).every((c) => c === 0 || c >= k)).toBe(true);
      h.edges.slice(1).forEach((e, j) => {
        expect(h.positive[j]).toBe(sum(fine.positive.slice(h.edges[j], e)));
        expect(h.negative[j]).toBe(sum(fine.negative.slice(h.edges[j], e)));
      });
    },
  );

  it('never carves off empty cells, so no edge sits at the lowest or highest case', () => {
    // 40 cases all in [0.43, 0.57): a "close when it holds k" sweep or an empty-bin split would put
    // edges at 43 and 57 and so tell the extreme cases' scores to 0.01.
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const scores = labels.map((_, i) => 0.43 + (i % 14) / 100);
    const h = mergeScoreHistograms(scoreHistograms(labels, scores), 5);
    expect(h.edges).not.toContain(43);
    expect(h.edges).not.toContain(57);
    h.positive.forEach((p, j) => expect(p + h.negative[j]!).toBeGreaterThan(0));
  });

  it('candidate edges: halves, then quarters, then eighths, coarsest first', () => {
    expect(candidateEdges(0, 100)).toEqual([50, 25, 75, 12, 37, 62, 87]);
    expect(candidateEdges(50, 53)).toEqual([51, 52]);
    expect(candidateEdges(7, 8)).toEqual([]);
  });

  it('refuses a k that is not a positive integer', () => {
    expect(() => mergeScoreHistograms({ bins: 2, positive: [1, 1], negative: [1, 1] }, 0)).toThrow(
      /k is 0; expected an integer ≥ 1/,
    );
  });
});

describe('mergedThresholdCounts', () => {
  it('counts the cases in the bins from each inner edge on (doc example)', () => {
    expect(
      mergedThresholdCounts({ bins: 100, edges: [0, 50, 100], positive: [2, 8], negative: [9, 1] }),
    ).toEqual({
      thresholds: [0.5],
      tp: [8],
      fp: [1],
    });
  });

  it('unmerged fine bins give a threshold at every fine edge', () => {
    const h = unmergedHistograms({ bins: 4, positive: [1, 0, 2, 1], negative: [2, 1, 0, 0] });
    expect(mergedThresholdCounts(h)).toEqual({ thresholds: [0.25, 0.5, 0.75], tp: [3, 3, 1], fp: [1, 0, 0] });
  });
});
