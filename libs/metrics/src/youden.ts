import { rocCounts } from './roc';

/** The ROC point that maximises Youden's J; see {@link youden}. */
export interface YoudenPoint {
  /** Call positive iff score ≥ threshold. Infinity (JSON `null`) means no finite threshold beats J = 0. */
  threshold: number;
  sensitivity: number;
  specificity: number;
  /** J = sensitivity + specificity − 1. */
  j: number;
}

/**
 * Youden's index (W. J. Youden, Cancer 3 (1950) 32–35): the ROC threshold maximising
 *
 *   J = sensitivity + specificity − 1 = TP/n⁺ − FP/n⁻
 *
 * over the thresholds of {@link rocCurve} (+∞, then every distinct score), with "positive iff
 * score ≥ threshold". J is compared exactly, as the integer TP·n⁻ − FP·n⁺, and ties go to the highest
 * threshold (the most specific rule). Because the +∞ threshold has J = 0, the result has J ≥ 0; a model
 * no better than chance at any cut-off (e.g. constant or inverted scores) gets threshold Infinity.
 *
 * @returns `null` when either class is empty.
 * @throws MetricsInputError on bad labels or scores.
 * @example youden([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // { threshold: 0.8, sensitivity: 0.5, specificity: 1, j: 0.5 } (ties with 0.35; the higher wins)
 */
export function youden(labels: ArrayLike<number>, scores: ArrayLike<number>): YoudenPoint | null {
  const c = rocCounts(labels, scores);
  if (c === null) return null;
  const { nPositive: nPos, nNegative: nNeg } = c;
  let best = 0;
  let bestScore = 0; // TP·n⁻ − FP·n⁺ at the +∞ threshold
  for (let k = 1; k < c.thresholds.length; k++) {
    const score = c.tp[k]! * nNeg - c.fp[k]! * nPos; // exact: |.| < 2^53 for any realistic n
    if (score > bestScore) {
      best = k;
      bestScore = score;
    }
  }
  const tp = c.tp[best]!;
  const fp = c.fp[best]!;
  return {
    threshold: c.thresholds[best]!,
    sensitivity: tp / nPos,
    specificity: (nNeg - fp) / nNeg,
    j: bestScore / (nPos * nNeg),
  };
}

/**
 * Youden's point among released thresholds only (a site's bin edges, `mergedThresholdCounts`), so
 * that the point a site reports is one of its released counts and not a patient's score. As in
 * {@link youden}: J compared exactly as TP·n⁻ − FP·n⁺, ties to the highest threshold, and +∞ (J = 0)
 * when no released threshold beats it.
 *
 * @returns `null` when either class is empty.
 * @example
 * youdenFromCounts({ n_pos: 10, n_neg: 10, thresholds: [0.3, 0.6], tp: [9, 5], fp: [5, 0] });
 * // J(0.3) = 0.9 − 0.5 = 0.4; J(0.6) = 0.5 − 0 = 0.5: { threshold: 0.6, sensitivity: 0.5, specificity: 1, j: 0.5 }
 */
export function youdenFromCounts(c: {
  n_pos: number;
  n_neg: number;
  thresholds: readonly number[];
  tp: readonly number[];
  fp: readonly number[];
}): YoudenPoint | null {
  const { n_pos: nPos, n_neg: nNeg } = c;
  if (nPos === 0 || nNeg === 0) return null;
  let best = { threshold: Infinity, tp: 0, fp: 0, score: 0 };
  for (let k = 0; k < c.thresholds.length; k++) {
    const score = c.tp[k]! * nNeg - c.fp[k]! * nPos;
    // Thresholds increase, so on a tie with a finite best the later one is the higher.
    if (score > best.score || (score === best.score && best.threshold !== Infinity))
      best = { threshold: c.thresholds[k]!, tp: c.tp[k]!, fp: c.fp[k]!, score };
  }
  return {
    threshold: best.threshold,
    sensitivity: best.tp / nPos,
    specificity: (nNeg - best.fp) / nNeg,
    j: best.score / (nPos * nNeg),
  };
}
