import { tieGroups, type TieGroups } from './tie-groups';

/**
 * Area under the ROC curve, AUC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻) over all positive–negative pairs, by the
 * Mann–Whitney identity on mid-ranks (Hanley & McNeil, Radiology 143 (1982) 29–36):
 *
 *   AUC = (ΣR⁺ − n⁺(n⁺ + 1)/2) / (n⁺·n⁻)
 *
 * where ΣR⁺ is the sum of the positives' mid-ranks among all scores. Class 1 is positive and a higher
 * score means positive; the direction is never flipped, so a model worse than chance gets AUC < 0.5.
 * O(n log n) through {@link tieGroups}. The numerator is a sum of half-integers, exact in float64, so
 * the result is correctly rounded. Equals scikit-learn `roc_auc_score(y, s)` and pROC
 * `auc(roc(y, s, direction = "<", levels = c(0, 1)))`.
 *
 * @returns the AUC, or `null` when either class is empty (no pairs to compare).
 * @throws MetricsInputError on labels other than 0/1, non-finite scores or a length mismatch.
 * @example auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  return aucOfTieGroups(tieGroups(labels, scores));
}

/**
 * {@link auc} from the tie groups: a group of p positives and q negatives above `below` other scores
 * has mid-rank below + (p + q + 1)/2. `null` when either class is empty.
 */
export function aucOfTieGroups(groups: TieGroups): number | null {
  const { positives, negatives, nPositive: nPos, nNegative: nNeg } = groups;
  if (nPos === 0 || nNeg === 0) return null;
  let below = 0;
  let rankSum = 0; // ΣR⁺: half-integers, exact
  for (let g = 0; g < positives.length; g++) {
    const p = positives[g]!;
    const size = p + negatives[g]!;
    rankSum += p * (below + (size + 1) / 2);
    below += size;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
