import { tieGroups } from './tie-groups';

/** Confusion counts at every ROC threshold; see {@link rocCounts}. */
export interface RocCounts {
  /** +Infinity first, then every distinct score in decreasing order. */
  thresholds: number[];
  /** True positives (positives with score ≥ threshold) at each threshold. */
  tp: number[];
  /** False positives (negatives with score ≥ threshold) at each threshold. */
  fp: number[];
  nPositive: number;
  nNegative: number;
}

/** The empirical ROC curve; see {@link rocCurve}. */
export interface RocCurve {
  /**
   * +Infinity first (nobody called positive), then every distinct score in decreasing order.
   * `JSON.stringify` writes the leading Infinity as `null`, which is how the report shows it.
   */
  thresholds: number[];
  /** False-positive rate fp/n⁻ at each threshold (1 − specificity). */
  fpr: number[];
  /** True-positive rate tp/n⁺ at each threshold (sensitivity). */
  tpr: number[];
}

/**
 * Confusion counts of the rule "positive iff score ≥ threshold" at every threshold of the empirical
 * ROC curve: +∞, then each distinct score from the highest down. O(n log n) via {@link tieGroups}.
 *
 * @returns `null` when either class is empty.
 * @throws MetricsInputError on bad labels or scores.
 * @example rocCounts([0, 1, 1], [0.2, 0.9, 0.2]) // { thresholds: [Infinity, 0.9, 0.2], tp: [0, 1, 2], fp: [0, 0, 1], … }
 */
export function rocCounts(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCounts | null {
  const { values, positives, negatives, nPositive, nNegative } = tieGroups(labels, scores);
  if (nPositive === 0 || nNegative === 0) return null;
  const thresholds = [Infinity];
  const tp = [0];
  const fp = [0];
  let t = 0;
  let f = 0;
  for (let g = values.length - 1; g >= 0; g--) {
    t += positives[g]!;
    f += negatives[g]!;
    thresholds.push(values[g]!);
    tp.push(t);
    fp.push(f);
  }
  return { thresholds, tp, fp, nPositive, nNegative };
}

/**
 * The empirical ROC curve: at each threshold (+∞, then every distinct score in decreasing order),
 * cases with score ≥ threshold are called positive and
 *
 *   tpr = TP/n⁺ (sensitivity),  fpr = FP/n⁻ (1 − specificity).
 *
 * It starts at (0, 0) and ends at (1, 1). Same points as scikit-learn `roc_curve(y, s,
 * drop_intermediate=False)`; scikit-learn ≥ 1.3 also starts at +∞ (earlier versions used max + 1).
 * Class 1 is positive, higher score positive.
 *
 * @returns `null` when either class is empty (one of the rates would be 0/0).
 * @throws MetricsInputError on bad labels or scores.
 * @example rocCurve([0, 1, 1], [0.2, 0.9, 0.2]) // { thresholds: [Infinity, 0.9, 0.2], fpr: [0, 0, 1], tpr: [0, 0.5, 1] }
 */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve | null {
  const counts = rocCounts(labels, scores);
  if (counts === null) return null;
  const { thresholds, tp, fp, nPositive, nNegative } = counts;
  return {
    thresholds,
    fpr: fp.map((x) => x / nNegative),
    tpr: tp.map((x) => x / nPositive),
  };
}
