/**
 * What a site shares so that the coordinator can pool curves without patient-level data
 * (DESIGN.md "Evaluation and release"): per-class histograms of the scores, merged until they obey
 * the privacy rule (merged-histograms.ts), and the true- and false-positive counts at their edges.
 */

import { mergedThresholdCounts, mergeScoreHistograms, type MergedScoreHistograms } from './merged-histograms';
import { DEFAULT_MIN_CELL_COUNT } from './privacy-rule';
import { STUDY_HISTOGRAM_BINS } from './study-grid';
import { checkLabels, checkProbabilities, MetricsInputError } from './validate';

/** Per-class counts of scores in `bins` equal-width bins of [0, 1]: the fine histograms, never sent as they are. */
export interface ScoreHistograms {
  bins: number;
  /** positive[b]: positives whose score lies in bin b. */
  positive: number[];
  /** negative[b]: negatives whose score lies in bin b. */
  negative: number[];
}

/** The wire `threshold_counts`: cases with score ≥ threshold, by outcome, at the released thresholds. */
export interface ThresholdCountsOnGrid {
  thresholds: number[];
  tp: number[];
  fp: number[];
}

/** The pooling part of a site's metrics report. */
export interface SiteEvaluationCounts {
  threshold_counts: ThresholdCountsOnGrid;
  score_histograms: MergedScoreHistograms;
}

/** Throws unless `bins` is an integer ≥ 1. */
export function checkBins(bins: number, field = 'bins'): void {
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new MetricsInputError(`${field} is ${bins}; expected an integer ≥ 1`, field, null, bins);
}

/**
 * The bin of a score s ∈ [0, 1] among `bins` equal-width bins: the largest b with b/bins ≤ s (the
 * edge computed as b/bins, as {@link defaultThresholds} computes k/100), and bins − 1 for s = 1.
 * Computing the edge the same way makes "bins ≥ b" the same cases as "score ≥ b/bins": with 100
 * bins, cumulative histograms equal `thresholdCounts` on the default grid exactly, which a plain
 * ⌊s·bins⌋ would miss (0.29·100 = 28.999999999999996). The map is non-decreasing in s, which is
 * all the AUC error bound of `pooledRoc` needs.
 *
 * @example
 * histogramBin(0.29, 100); // 29
 * histogramBin(1, 10); // 9
 */
export function histogramBin(score: number, bins: number): number {
  let b = Math.min(bins - 1, Math.floor(score * bins));
  if (b > 0 && b / bins > score) b--;
  else if (b + 1 < bins && (b + 1) / bins <= score) b++;
  return b;
}

/**
 * Per-class histograms of probabilities in `bins` equal-width bins of [0, 1] ({@link histogramBin}).
 *
 * @throws MetricsInputError on labels other than 0/1, scores outside [0, 1] or a bad bin count.
 * @example
 * scoreHistograms([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 2);
 * // { bins: 2, positive: [1, 1], negative: [1, 1] }
 */
export function scoreHistograms(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  bins: number = STUDY_HISTOGRAM_BINS,
): ScoreHistograms {
  checkLabels(labels);
  checkProbabilities(scores, labels.length, 'scores');
  checkBins(bins);
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const counts = labels[i] === 1 ? positive : negative;
    const b = histogramBin(scores[i]!, bins);
    counts[b] = counts[b]! + 1;
  }
  return { bins, positive, negative };
}

export interface SiteEvaluationOptions {
  /** The privacy rule's k (privacy-rule.ts); default {@link DEFAULT_MIN_CELL_COUNT}. */
  k?: number;
  /** Fine histogram bins before merging; default the study's {@link STUDY_HISTOGRAM_BINS}. */
  bins?: number;
}

/**
 * The `score_histograms` and `threshold_counts` fields of a site's `SiteMetricsReport`, from its
 * test-split labels and predicted probabilities: the fine histograms merged until every count is 0 or
 * ≥ k cases of a class, and the counts at the merged bins' inner edges.
 *
 * @example
 * const c = siteEvaluationCounts([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]);
 * // c.score_histograms = { bins: 100, edges: [0, 50, 100], positive: [0, 5], negative: [5, 0] }
 * // c.threshold_counts = { thresholds: [0.5], tp: [5], fp: [0] }
 */
export function siteEvaluationCounts(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: SiteEvaluationOptions = {},
): SiteEvaluationCounts {
  const merged = mergeScoreHistograms(
    scoreHistograms(labels, scores, options.bins),
    options.k ?? DEFAULT_MIN_CELL_COUNT,
  );
  return { threshold_counts: mergedThresholdCounts(merged), score_histograms: merged };
}
