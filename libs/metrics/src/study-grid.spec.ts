import { describe, expect, it } from '@jest/globals';
import { seededSite } from '../fixtures/seeded-sites';
import { siteEvaluationCounts } from './site-histograms';
import {
  STUDY_HISTOGRAM_BINS,
  STUDY_THRESHOLDS,
  studyLayoutProblem,
  type StudyLayoutCounts,
} from './study-grid';

/** Seeded scores to 2 decimals, so many sit exactly on a grid threshold (and some on 0 and 1). */
const { labels, scores } = seededSite(200, 5, 0.4, 1.5, 2);
const nPos = labels.filter((y) => y === 1).length;
const GOOD: StudyLayoutCounts = Object.freeze({
  n: labels.length,
  n_pos: nPos,
  ...siteEvaluationCounts(labels, scores),
});

/** GOOD with one field of threshold_counts or score_histograms replaced. */
const withCounts = (edit: Partial<StudyLayoutCounts['threshold_counts']>): StudyLayoutCounts => ({
  ...GOOD,
  threshold_counts: { ...GOOD.threshold_counts, ...edit },
});
const withHistograms = (edit: Partial<StudyLayoutCounts['score_histograms']>): StudyLayoutCounts => ({
  ...GOOD,
  score_histograms: { ...GOOD.score_histograms, ...edit },
});
const tp = GOOD.threshold_counts.tp as number[];
const positive = GOOD.score_histograms.positive as number[];

const inner = GOOD.threshold_counts.thresholds as number[];

describe('the study layout', () => {
  it('is the grid k/100, k = 1…99, each the float64 of k/100, and 100 fine histogram bins', () => {
    expect(STUDY_THRESHOLDS).toHaveLength(99);
    expect(STUDY_THRESHOLDS[6]).toBe(0.07); // 7/100, not 7 × 0.01 = 0.07000000000000001
    expect(STUDY_THRESHOLDS[98]).toBe(0.99);
    expect(Object.isFrozen(STUDY_THRESHOLDS)).toBe(true);
    expect(STUDY_HISTOGRAM_BINS).toBe(100);
  });

  it('accepts what siteEvaluationCounts makes by default, with several merged bins', () => {
    expect(studyLayoutProblem(GOOD)).toBeNull();
    expect(inner.length).toBeGreaterThan(2);
  });

  // Issue 13: a one-point grid left a round without a verdict and its metrics route answering 500.
  it.each<[string, StudyLayoutCounts, string]>([
    [
      'a one-point grid',
      withCounts({ thresholds: [0.5], tp: [1], fp: [1] }),
      `threshold_counts.thresholds has 1 values; expected the ${inner.length} inner bin edges of score_histograms`,
    ],
    [
      'a shifted grid',
      withCounts({ thresholds: inner.map((t) => t + 1e-9) }),
      `threshold_counts.thresholds[0] is ${inner[0]! + 1e-9}; expected ${inner[0]} (the bin edge`,
    ],
    ['no grid at all', withCounts({ thresholds: 'all' }), 'threshold_counts.thresholds has string;'],
    ['10 bins', withHistograms({ bins: 10 }), 'score_histograms.bins is 10; expected 100'],
    [
      'edges not from 0 to 100',
      withHistograms({ edges: [0, 50, 99] }),
      'score_histograms.edges runs from 0 to 99; expected 0 to 100',
    ],
    [
      'edges not increasing',
      withHistograms({ edges: [0, 50, 50, 100] }),
      'score_histograms.edges[2] is 50; expected an integer above 50',
    ],
    [
      'a short tp',
      withCounts({ tp: tp.slice(1) }),
      `threshold_counts.tp has ${tp.length - 1} values; expected ${tp.length} counts`,
    ],
    [
      'a negative count',
      withHistograms({ positive: [-1, ...positive.slice(1)] }),
      'score_histograms.positive[0] is -1; expected a non-negative integer',
    ],
    [
      'a fractional count',
      withCounts({ tp: [0.5, ...tp.slice(1)] }),
      'threshold_counts.tp[0] is 0.5; expected a non-negative integer',
    ],
    [
      'n = 1e9 (inflated)',
      { ...GOOD, n: 1e9 },
      `score_histograms.negative holds ${labels.length - nPos} cases; expected n − n_pos = ${1e9 - nPos}`,
    ],
    [
      'positives not adding to n_pos',
      { ...GOOD, n_pos: nPos + 1 },
      `score_histograms.positive holds ${nPos} cases; expected n_pos = ${nPos + 1}`,
    ],
    [
      'threshold counts the histograms do not give',
      withCounts({ tp: tp.map((v, k) => (k === 1 ? v + 1 : v)) }),
      `threshold_counts at t = ${inner[1]} are tp ${tp[1]! + 1}`,
    ],
  ])('refuses %s, naming the value and what was expected', (_, counts, message) => {
    expect(studyLayoutProblem(counts)).toContain(message);
  });
});
