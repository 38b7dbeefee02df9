import { argsort } from './sort';
import { checkLabelsScores, countPositives } from './validate';

/** DeLong's structural components (placement values) of every case; see {@link placements}. */
export interface Placements {
  /** Mann–Whitney AUC = mean placement of the positives = mean placement of the negatives. */
  auc: number;
  nPositive: number;
  nNegative: number;
  /**
   * One value per case, in input order: for a positive, V10 = the share of negatives scored below it
   * (ties count ½); for a negative, V01 = the share of positives scored above it (ties count ½).
   */
  byCase: Float64Array;
}

/**
 * DeLong placement values (DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988) 837–845), computed
 * in O(n log n) as in Sun & Xu, "Fast implementation of DeLong's algorithm for comparing the areas
 * under correlated ROC curves", IEEE Signal Process. Lett. 21 (2014) 1389–1393 — the same values
 * pROC's `delongPlacements` returns (`X` for cases, `Y` for controls):
 *
 *   V10(xᵢ) = [R_Z(xᵢ) − R_X(xᵢ)] / n⁻        (positives xᵢ)
 *   V01(yⱼ) = 1 − [R_Z(yⱼ) − R_Y(yⱼ)] / n⁺    (negatives yⱼ)
 *
 * with R_Z, R_X, R_Y the mid-ranks among all scores, among the positives and among the negatives.
 * One stable sort of all scores gives all three: for a tie group with p positives and q negatives,
 * above N⁻ negatives and N⁺ positives, R_Z − R_X = N⁻ + q/2 for its positives and the negatives' V01 is
 * (n⁺ − N⁺ − p + p/2)/n⁺, so no second or third sort is needed.
 *
 * @returns `null` when either class is empty.
 * @throws MetricsInputError on bad labels or scores.
 * @example placements([0, 1, 0, 1], [0.1, 0.5, 0.5, 0.9])?.byCase // Float64Array [1, 0.75, 0.75, 1]
 */
export function placements(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  field = 'scores',
): Placements | null {
  checkLabelsScores(labels, scores, field);
  const n = labels.length;
  const nPos = countPositives(labels);
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;

  const order = argsort(scores);
  const byCase = new Float64Array(n);
  let posBelow = 0;
  let negBelow = 0;
  let u = 0; // Mann–Whitney U = Σ over positives of (negatives below + ½ tied negatives): exact
  let k = 0;
  while (k < n) {
    const v = scores[order[k]!]!;
    let p = labels[order[k]!]!;
    let e = k + 1;
    for (; e < n; e++) {
      const i = order[e]!;
      if (scores[i] !== v) break;
      p += labels[i]!;
    }
    const q = e - k - p;
    const negCredit = negBelow + q / 2;
    const posCredit = nPos - posBelow - p / 2; // positives above + ½ tied positives
    const v10 = negCredit / nNeg;
    const v01 = posCredit / nPos;
    for (let j = k; j < e; j++) {
      const i = order[j]!;
      byCase[i] = labels[i] === 1 ? v10 : v01;
    }
    u += p * negCredit;
    posBelow += p;
    negBelow += q;
    k = e;
  }
  return { auc: u / (nPos * nNeg), nPositive: nPos, nNegative: nNeg, byCase };
}

/**
 * DeLong's covariance of two AUCs on the same cases from their placements (A and B may be the same
 * object, giving the variance):
 *
 *   cov(Â, B̂) = S10(A, B)/n⁺ + S01(A, B)/n⁻,
 *   S10 = Σᵢ (V10ᴬᵢ − Âᴬ)(V10ᴮᵢ − Âᴮ)/(n⁺ − 1) over positives, S01 likewise over negatives with V01,
 *
 * i.e. sample (n − 1) covariances, as pROC's `var(roc, method = "delong")` and `roc.test(…, method =
 * "delong", paired = TRUE)` compute them. Sums are compensated (Neumaier) so that 10⁶ cases lose no
 * accuracy. Needs at least two cases of each class.
 */
export function placementCovariance(labels: ArrayLike<number>, a: Placements, b: Placements): number {
  const nPos = a.nPositive;
  const nNeg = a.nNegative;
  if (nPos < 2 || nNeg < 2) throw new RangeError('DeLong covariance needs at least two cases of each class');
  const va = a.byCase;
  const vb = b.byCase;
  const n = va.length;
  let sPos = 0;
  let cPos = 0;
  let sNeg = 0;
  let cNeg = 0;
  for (let i = 0; i < n; i++) {
    const x = (va[i]! - a.auc) * (vb[i]! - b.auc);
    if (labels[i] === 1) {
      const t = sPos + x;
      cPos += Math.abs(sPos) >= Math.abs(x) ? sPos - t + x : x - t + sPos;
      sPos = t;
    } else {
      const t = sNeg + x;
      cNeg += Math.abs(sNeg) >= Math.abs(x) ? sNeg - t + x : x - t + sNeg;
      sNeg = t;
    }
  }
  return (sPos + cPos) / (nPos - 1) / nPos + (sNeg + cNeg) / (nNeg - 1) / nNeg;
}
