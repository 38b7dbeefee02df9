/**
 * What a site shares so that the coordinator can pool curves without patient-level data
 * (DESIGN.md "Evaluation and release"): true- and false-positive counts on the study's threshold
 * grid, and per-class histograms of the scores. Both are counts that add across sites.
 */

import { defaultThresholds, thresholdCounts } from './decision-curve';
import { STUDY_HISTOGRAM_BINS } from './study-grid';
import { checkLabels, checkProbabilities, MetricsInputError } from './validate';

/** Per-class counts of scores in `bins` equal-width bins of [0, 1] (the wire `score_histograms`). */
export interface ScoreHistograms {
  bins: number;
  /** positive[b]: positives whose score lies in bin b. */
  positive: number[];
  /** negative[b]: negatives whose score lies in bin b. */
  negative: number[];
}

/** The wire `threshold_counts`: cases with score ≥ threshold, by outcome, on a threshold grid. */
export interface ThresholdCountsOnGrid {
  thresholds: number[];
  tp: number[];
  fp: number[];
}

/** The pooling part of a site's metrics report. */
export interface SiteEvaluationCounts {
  threshold_counts: ThresholdCountsOnGrid;
  score_histograms: ScoreHistograms;
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
  /** Increasing thresholds in (0, 1); default the study grid 0.01…0.99. */
  thresholds?: ArrayLike<number>;
  /** Histogram bins; default the study's {@link STUDY_HISTOGRAM_BINS}. */
  bins?: number;
}

/**
 * The `threshold_counts` and `score_histograms` fields of a site's `SiteMetricsReport`, from its
 * test-split labels and predicted probabilities.
 *
 * @example
 * const c = siteEvaluationCounts([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], { thresholds: [0.5], bins: 2 });
 * // c.threshold_counts = { thresholds: [0.5], tp: [1], fp: [1] }
 * // c.score_histograms = { bins: 2, positive: [1, 1], negative: [1, 1] }
 */
export function siteEvaluationCounts(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: SiteEvaluationOptions = {},
): SiteEvaluationCounts {
  const thresholds = Array.from(options.thresholds ?? defaultThresholds());
  const { tp, fp } = thresholdCounts(labels, scores, thresholds);
  return {
    threshold_counts: { thresholds, tp, fp },
    score_histograms: scoreHistograms(labels, scores, options.bins),
  };
}
