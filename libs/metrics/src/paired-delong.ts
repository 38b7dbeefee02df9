import { twoSidedP } from './normal';
import { placementCovariance, placements } from './placements';

/** DeLong's test of two correlated AUCs; see {@link pairedDelong}. */
export interface PairedDelong {
  auc_a: number;
  auc_b: number;
  /** DeLong variances of the two AUCs. */
  var_a: number;
  var_b: number;
  /** DeLong covariance of the two AUCs. */
  cov: number;
  /** (auc_a − auc_b) / √(var_a + var_b − 2·cov); 0 when the difference and its SD are both 0. */
  z: number;
  /** Two-sided p-value 2·Φ(−|z|); 1 when z = 0, 0 when z is ±Infinity. */
  p: number;
}

/**
 * DeLong's test for the difference of two AUCs measured on the same cases (DeLong, DeLong &
 * Clarke-Pearson, Biometrics 44 (1988) 837–845), with placements computed in O(n log n) (Sun & Xu
 * 2014; {@link placements}):
 *
 *   z = (Â − B̂) / √(var Â + var B̂ − 2 cov(Â, B̂)),   p = 2·Φ(−|z|)
 *
 * with the variances and covariance of {@link placementCovariance}. This is pROC
 * `roc.test(rocA, rocB, method = "delong", paired = TRUE)` (statistic and p.value) for
 * `roc(y, s, direction = "<", levels = c(0, 1))`. The denominator is evaluated as the DeLong variance
 * of the placement differences V_A − V_B, which equals var_a + var_b − 2·cov but cannot come out
 * negative through cancellation when the two models are almost the same.
 *
 * Edge cases: when both the difference and its SD are 0 (e.g. two perfect models), z = 0 and p = 1
 * (as pROC); a non-zero difference with SD 0 gives z = ±Infinity and p = 0.
 *
 * @returns `null` when a class has fewer than 2 cases.
 * @throws MetricsInputError on bad labels or scores (`scores_a`, `scores_b` name the arrays).
 * @example
 * const labels = [0, 0, 1, 1, 0, 1, 0, 1];
 * pairedDelong(labels, [0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.7], [0.3, 0.2, 0.4, 0.5, 0.6, 0.45, 0.1, 0.35])
 * // { auc_a: 0.875, auc_b: 0.75, var_a: 0.02083, var_b: 0.0625, cov: -0.01042, z: 0.3873, p: 0.6985 }
 */
export function pairedDelong(
  labels: ArrayLike<number>,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
): PairedDelong | null {
  const a = placements(labels, scoresA, 'scores_a');
  const b = placements(labels, scoresB, 'scores_b');
  if (a === null || b === null || a.nPositive < 2 || a.nNegative < 2) return null;
  const var_a = placementCovariance(labels, a, a);
  const var_b = placementCovariance(labels, b, b);
  const cov = placementCovariance(labels, a, b);

  const n = labels.length;
  const diff = new Float64Array(n);
  for (let i = 0; i < n; i++) diff[i] = a.byCase[i]! - b.byCase[i]!;
  const d = a.auc - b.auc;
  const dPlacements = { auc: d, nPositive: a.nPositive, nNegative: a.nNegative, byCase: diff };
  const sd = Math.sqrt(placementCovariance(labels, dPlacements, dPlacements));

  const z = d === 0 && sd === 0 ? 0 : d / sd;
  return { auc_a: a.auc, auc_b: b.auc, var_a, var_b, cov, z: z + 0, p: twoSidedP(z) };
}
