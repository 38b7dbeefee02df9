/**
 * The privacy rule for everything a site releases about its test cases (README "What a site sends,
 * and why it is not per-case data"; DESIGN.md "Trust model"):
 *
 *   every released count of cases covers 0 or at least k cases of a class,
 *
 * with one exception that releases nothing new: a class with fewer than k cases in all is released
 * only as its total (n_pos, or n − n_pos), i.e. every case sits in one score bin [0, 1].
 *
 * Why a count of 0 is allowed: "no positive scored in [0.4, 0.5)" says nothing about any one patient
 * that the bins around it do not say. Why ≥ k: a count of k ≥ 5 cases of one class in a score bin
 * cannot be turned back into one patient's (label, score) without knowing the other k − 1 cases'
 * scores — the small-cell rule of statistical disclosure control (e.g. the "rule of five" of cancer
 * registries and of the UK ONS; Hundepool et al., Statistical Disclosure Control, Wiley 2012, §5.2).
 * The rule is applied to the score histograms by merging bins (`mergeScoreHistograms`); every other
 * count a site sends (threshold counts, and the decision curve and Youden point derived from them) is
 * a sum of whole merged bins, and a sum of counts that are each 0 or ≥ k is again 0 or ≥ k.
 */

/** k when the study names none: the small-cell threshold of the rule. */
export const DEFAULT_MIN_CELL_COUNT = 5;

/** The least k a study may set without an explicit override reason. */
export const MIN_CELL_COUNT_FLOOR = 5;

/**
 * Whether `count` cases of one class may be released as one count of a score bin: 0 or at least k.
 * (A histogram of one bin, [0, 1], is always releasable: its counts are the class totals.)
 *
 * @example
 * releasableCount(3, 5); // false: 3 positives in one bin would be a small cell
 * releasableCount(0, 5); // true
 */
export function releasableCount(count: number, k: number): boolean {
  return count === 0 || count >= k;
}

/**
 * Whether the score summaries of a report (AUC, DeLong variance and CI, the paired test, Brier,
 * calibration) may be released: only when each class has at least k cases. With fewer, an AUC is
 * the mean placement of fewer than k positives (with one positive, exactly that patient's rank
 * among the negatives), so it is withheld (null), as is everything else computed from the scores.
 *
 * @example
 * summariesReleasable(4, 60, 5); // false
 * summariesReleasable(12, 53, 5); // true
 */
export function summariesReleasable(nPos: number, nNeg: number, k: number): boolean {
  return nPos >= k && nNeg >= k;
}
