import { aucOfTieGroups } from './auc';
import { tieGroups } from './tie-groups';

/** Φ⁻¹(0.975): the normal quantile of a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

/** AUC with DeLong's variance and 95% confidence interval; see {@link delong}. */
export interface DelongAuc {
  /** Mann–Whitney AUC (class 1 positive, higher score positive). */
  auc: number;
  /** DeLong variance of the AUC; `null` when a class has fewer than 2 cases (a sample variance needs 2). */
  variance: number | null;
  /** 95% CI `[lo, hi]` = AUC ∓ 1.959963984540054·√variance, clipped to [0, 1]; `null` with `variance`. */
  ci: [number, number] | null;
}

/**
 * AUC with DeLong's nonparametric variance (DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988)
 * 837–845) from the placement values of Sun & Xu (2014) (see {@link placements}), computed in
 * O(n log n) over the {@link tieGroups} — all cases with one score share one placement:
 *
 *   var(AUC) = s²(V10)/n⁺ + s²(V01)/n⁻,   s² the sample variance (divisor n − 1)
 *   95% CI   = AUC ∓ z₀.₉₇₅·√var, clipped to [0, 1]
 *
 * Matches pROC `var(roc, method = "delong")` and `ci.auc(roc, method = "delong")` for
 * `roc(y, s, direction = "<", levels = c(0, 1))`. A perfectly separating model has variance 0 and
 * CI [1, 1] (pROC warns that this is misleading; so should a report).
 *
 * Result shape: `null` when either class is empty (no AUC); `{auc, variance: null, ci: null}` when
 * both classes are present but one has a single case; otherwise all three are numbers.
 *
 * @throws MetricsInputError on bad labels or scores.
 * @example delong([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]) // { auc: 0.8889, variance: 0.02469, ci: [0.5809, 1] }
 */
export function delong(labels: ArrayLike<number>, scores: ArrayLike<number>): DelongAuc | null {
  const groups = tieGroups(labels, scores);
  const auc = aucOfTieGroups(groups);
  if (auc === null) return null;
  const { positives, negatives, nPositive: nPos, nNegative: nNeg } = groups;
  if (nPos < 2 || nNeg < 2) return { auc, variance: null, ci: null };

  // Every case in a tie group has the same placement, so the sums of squared deviations run over
  // groups: Σᵢ (V10ᵢ − AUC)² = Σ_g p_g·(V10_g − AUC)², likewise for V01. Compensated (Neumaier) sums.
  let posBelow = 0;
  let negBelow = 0;
  let s10 = 0;
  let c10 = 0;
  let s01 = 0;
  let c01 = 0;
  for (let g = 0; g < positives.length; g++) {
    const p = positives[g]!;
    const q = negatives[g]!;
    const d10 = (negBelow + q / 2) / nNeg - auc; // V10 of this group's positives
    const d01 = (nPos - posBelow - p / 2) / nPos - auc; // V01 of this group's negatives
    const x = p * d10 * d10;
    const y = q * d01 * d01;
    let t = s10 + x;
    c10 += s10 >= x ? s10 - t + x : x - t + s10;
    s10 = t;
    t = s01 + y;
    c01 += s01 >= y ? s01 - t + y : y - t + s01;
    s01 = t;
    posBelow += p;
    negBelow += q;
  }
  const variance = (s10 + c10) / (nPos - 1) / nPos + (s01 + c01) / (nNeg - 1) / nNeg;
  const half = Z_95 * Math.sqrt(variance);
  return { auc, variance, ci: [Math.max(0, auc - half), Math.min(1, auc + half)] };
}
