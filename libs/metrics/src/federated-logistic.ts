/**
 * Federated logistic regression: the same Newton–Raphson/IRLS fit as `fitLogistic`, driven by the
 * sites' sufficient statistics instead of pooled rows. At any β the information XᵀWX, the score
 * Xᵀ(y − μ) and the deviance are sums over cases, so summing each site's `logisticSufficientStats`
 * gives exactly the pooled quantities (McCullagh & Nelder, Generalized Linear Models, 2nd ed.,
 * §4.4), and every step, convergence test, standard error and Wald p is the pooled fit's. No row
 * leaves a site; each iteration costs one request per site for the step and one per step halving.
 */

import { cholesky } from './linalg';
import type { LogisticFit, LogisticSufficientStats, NoMleReason } from './logistic';
import { newtonIrls, type NewtonIrlsOptions } from './newton-irls';
import { MetricsInputError } from './validate';

/**
 * Returns every site's statistics at β (in the coordinator a round-trip to the sites; in tests
 * `logisticSufficientStats` on local rows). Sites must use the same column order, no offset.
 */
export type SufficientStatsSource = (
  beta: Float64Array,
) => Promise<readonly LogisticSufficientStats[]> | readonly LogisticSufficientStats[];

export interface FederatedLogisticOptions extends NewtonIrlsOptions {
  /** Number of coefficients, intercept included. */
  k: number;
  /** Column 0 of every site's design is the intercept (default true), as in `fitLogistic`. */
  intercept?: boolean;
}

export interface FederatedLogisticFit extends LogisticFit {
  /** How many times the sites were asked for statistics. */
  requests: number;
}

/**
 * The element-wise sum of sites' statistics (information, score, deviance; max_abs_eta is the max).
 *
 * @throws MetricsInputError when there are none or their k differ.
 * @example
 * sumSufficientStats([a, b]).score; // a.score + b.score
 */
export function sumSufficientStats(parts: readonly LogisticSufficientStats[]): LogisticSufficientStats {
  const first = parts[0];
  if (first === undefined)
    throw new MetricsInputError('no site statistics; expected at least one', 'stats', null);
  const k = first.k;
  const information = new Float64Array(k * k);
  const score = new Float64Array(k);
  let deviance = 0;
  let maxAbsEta = 0;
  parts.forEach((s, i) => {
    if (s.k !== k || s.information.length !== k * k || s.score.length !== k)
      throw new MetricsInputError(
        `stats[${i}] has k = ${s.k} (${s.score.length} scores); expected k = ${k} like stats[0]`,
        'stats',
        i,
      );
    for (let j = 0; j < k * k; j++) information[j] = information[j]! + s.information[j]!;
    for (let j = 0; j < k; j++) score[j] = score[j]! + s.score[j]!;
    deviance += s.deviance;
    maxAbsEta = Math.max(maxAbsEta, s.max_abs_eta);
  });
  return { k, information, score, deviance, max_abs_eta: maxAbsEta };
}

function noMle(
  reason: NoMleReason,
  deviance: number | null,
  iterations: number,
  requests: number,
): FederatedLogisticFit {
  const none = { coefficients: null, std_errors: null, z: null, p: null };
  return { ...none, deviance, iterations, converged: false, reason, requests };
}

/**
 * Fits logit P(y=1) = Xβ across sites from their sufficient statistics, with the algorithm of
 * `fitLogistic` (Newton–Raphson = IRLS for the logit link, step halving when the deviance rises,
 * SEs √diag (XᵀWX)⁻¹, Wald p = 2Φ(−|z|)), so the result equals `fitLogistic` on the concatenated
 * rows up to the rounding of the cross-site sums. At β = 0 every weight μ(1−μ) is exactly ¼, so the
 * first request also gives n = 4·(XᵀWX)₀₀ and n_pos = score₀ + n/2 (intercept column 0), from which
 * a one-class outcome is recognised, and XᵀWX = XᵀX/4 for the rank check.
 *
 * @example
 * const fit = await fitFederatedLogistic(
 *   (beta) => sites.map((s) => logisticSufficientStats(s.X, s.y, beta)),
 *   { k: 5 },
 * );
 * fit.coefficients; // as fitLogistic(allX, allY).coefficients
 */
export async function fitFederatedLogistic(
  collect: SufficientStatsSource,
  options: FederatedLogisticOptions,
): Promise<FederatedLogisticFit> {
  const { k } = options;
  if (!(Number.isInteger(k) && k >= 1))
    throw new MetricsInputError(`k is ${k}; expected an integer ≥ 1`, 'k', null, k);
  const intercept = options.intercept ?? true;
  let requests = 0;
  const statsAt = async (beta: Float64Array): Promise<LogisticSufficientStats> => {
    requests++;
    const s = sumSufficientStats(await collect(beta));
    if (s.k !== k) throw new MetricsInputError(`sites report k = ${s.k}; expected k = ${k}`, 'stats', null);
    return s;
  };

  const stats = await statsAt(new Float64Array(k));
  if (intercept) {
    const n = 4 * stats.information[0]!;
    const nPos = stats.score[0]! + n / 2;
    if (nPos === 0 || nPos === n) return noMle('one-class', null, 0, requests);
    if (n < k) return noMle('singular', null, 0, requests);
  }
  if (cholesky(stats.information, k) === null) return noMle('singular', null, 0, requests);

  const it = newtonIrls(k, stats, options);
  let r = it.next();
  while (!r.done) r = it.next(await statsAt(r.value));
  return { ...r.value, requests };
}

/**
 * Predicted probabilities expit(Xβ) of a fitted model for covariate rows (intercept prepended
 * when β has one more entry than a row), e.g. the feature model's scores on a site's test split.
 *
 * @example
 * logisticPredict([[0], [1]], [0, Math.log(3)]); // [0.5, 0.75]
 */
export function logisticPredict(
  rows: ReadonlyArray<ArrayLike<number>>,
  coefficients: ArrayLike<number>,
): number[] {
  return rows.map((row, i) => {
    const offset = coefficients.length - row.length;
    if (offset !== 0 && offset !== 1)
      throw new MetricsInputError(
        `X[${i}] has ${row.length} covariates for ${coefficients.length} coefficients; expected ${coefficients.length - 1} (with intercept) or ${coefficients.length}`,
        'X',
        i,
      );
    let eta = offset === 1 ? coefficients[0]! : 0;
    for (let j = 0; j < row.length; j++) eta += coefficients[j + offset]! * row[j]!;
    // expit without overflow for either sign of η.
    const e = Math.exp(-Math.abs(eta));
    return eta >= 0 ? 1 / (1 + e) : e / (1 + e);
  });
}
