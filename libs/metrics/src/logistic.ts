import { cholesky } from './linalg';
import { runNewtonIrls } from './newton-irls';
import { checkLabels, checkScores, MetricsInputError } from './validate';

/** Covariate rows: one row per case, one entry per covariate (no intercept column). */
export type CovariateRows = ReadonlyArray<ArrayLike<number>>;

export interface LogisticOptions {
  /** Fixed offset added to the linear predictor (e.g. logit p for calibration-in-the-large). */
  offset?: ArrayLike<number>;
  /** Prepend an intercept column (default true); its coefficient comes first. */
  intercept?: boolean;
  /** Newton–Raphson iterations at most (default 100). */
  maxIter?: number;
  /** Converged when every step |Δβⱼ| ≤ tol·(1 + |βⱼ|) (default 1e-10). */
  tol?: number;
}

/** Why no maximum-likelihood estimate exists. */
export type NoMleReason = 'one-class' | 'separation' | 'singular';

export interface LogisticFit {
  /** β, intercept first when fitted; null when no MLE exists. */
  coefficients: number[] | null;
  /** √diag of the inverse Fisher information (XᵀWX)⁻¹ at β. */
  std_errors: number[] | null;
  /** Wald z = β / SE. */
  z: number[] | null;
  /** Two-sided Wald p = 2·Φ(−|z|). */
  p: number[] | null;
  /** Residual deviance −2·log-likelihood at the last iterate (null when nothing was fitted). */
  deviance: number | null;
  iterations: number;
  converged: boolean;
  /** Set exactly when coefficients is null. */
  reason: NoMleReason | null;
}

/** One site's (or one data set's) contribution to a Newton–Raphson step at a given β. */
export interface LogisticSufficientStats {
  /** Number of coefficients k (including the intercept). */
  k: number;
  /** Fisher information XᵀWX, row-major k×k, W = diag μ(1−μ). */
  information: Float64Array;
  /** Score Xᵀ(y − μ). */
  score: Float64Array;
  /** Deviance −2 Σ [y log μ + (1−y) log(1−μ)]. */
  deviance: number;
  /** Largest |η| over the cases: fitted probabilities numerically 0 or 1 signal separation. */
  max_abs_eta: number;
}

interface Design {
  n: number;
  k: number;
  /** Row-major n×k, intercept column first when requested. */
  x: Float64Array;
}

function buildDesign(rows: CovariateRows, intercept: boolean): Design {
  const n = rows.length;
  const p = n > 0 ? rows[0]!.length : 0;
  const k = p + (intercept ? 1 : 0);
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== p) {
      throw new MetricsInputError(`X[${i}] has ${row.length} covariates; expected ${p} like X[0]`, 'X', i);
    }
    let c = i * k;
    if (intercept) x[c++] = 1;
    for (let j = 0; j < p; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v))
        throw new MetricsInputError(`X[${i}][${j}] is ${v}; expected a finite number`, 'X', i, v);
      x[c++] = v;
    }
  }
  return { n, k, x };
}

/** log(1 + e^η) without overflow. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

function statsOnDesign(
  d: Design,
  y: ArrayLike<number>,
  beta: ArrayLike<number>,
  offset?: ArrayLike<number>,
): LogisticSufficientStats {
  const { n, k, x } = d;
  const information = new Float64Array(k * k);
  const score = new Float64Array(k);
  let deviance = 0;
  let maxAbsEta = 0;
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let eta = offset ? offset[i]! : 0;
    for (let j = 0; j < k; j++) eta += x[base + j]! * beta[j]!;
    const yi = y[i]!;
    // μ and μ(1−μ) from e^−|η| so neither overflows nor loses the small tail probability.
    const e = Math.exp(-Math.abs(eta));
    const mu = eta >= 0 ? 1 / (1 + e) : e / (1 + e);
    const w = e / ((1 + e) * (1 + e));
    deviance += 2 * (softplus(eta) - yi * eta);
    maxAbsEta = Math.max(maxAbsEta, Math.abs(eta));
    const r = yi - mu;
    for (let a = 0; a < k; a++) {
      const xa = x[base + a]!;
      score[a] = score[a]! + xa * r;
      const wa = w * xa;
      for (let b = 0; b <= a; b++) information[a * k + b] = information[a * k + b]! + wa * x[base + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) information[b * k + a] = information[a * k + b]!;
  return { k, information, score, deviance, max_abs_eta: maxAbsEta };
}

function checkOutcome(y: ArrayLike<number>, n: number, offset?: ArrayLike<number>): void {
  checkLabels(y, 'y');
  if (y.length !== n) throw new MetricsInputError(`y has ${y.length} values but X has ${n} rows`, 'y', null);
  if (offset) checkScores(offset, n, 'offset', 'X');
}

/**
 * The sufficient statistics of one Newton–Raphson step for logistic regression at β:
 * information XᵀWX and score Xᵀ(y − μ), with μ = expit(offset + Xβ), W = diag μ(1−μ)
 * (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §4.4). They add across disjoint data
 * sets, so federated IRLS sums the sites' statistics and steps β ← β + (ΣXᵀWX)⁻¹ ΣXᵀ(y−μ).
 *
 * @example
 * // One covariate, intercept: y = [0, 1], x = [0, 1], at β = 0 every μ is ½ and W is ¼.
 * logisticSufficientStats([[0], [1]], [0, 1], [0, 0]);
 * // { k: 2, information: [0.5, 0.25, 0.25, 0.25], score: [0, 0.5], deviance: 4·ln 2, ... }
 */
export function logisticSufficientStats(
  rows: CovariateRows,
  y: ArrayLike<number>,
  beta: ArrayLike<number>,
  options: Pick<LogisticOptions, 'offset' | 'intercept'> = {},
): LogisticSufficientStats {
  const d = buildDesign(rows, options.intercept ?? true);
  checkOutcome(y, d.n, options.offset);
  if (beta.length !== d.k)
    throw new MetricsInputError(`beta has ${beta.length} entries; expected ${d.k}`, 'beta', null);
  return statsOnDesign(d, y, beta, options.offset);
}

function noMle(reason: NoMleReason, deviance: number | null, iterations: number): LogisticFit {
  return {
    coefficients: null,
    std_errors: null,
    z: null,
    p: null,
    deviance,
    iterations,
    converged: false,
    reason,
  };
}

/**
 * Maximum-likelihood logistic regression logit P(y=1) = offset + Xβ by Newton–Raphson, which for
 * the canonical logit link is IRLS (McCullagh & Nelder §2.5), with step halving when the deviance
 * rises. Standard errors are √diag (XᵀWX)⁻¹, the inverse Fisher information; Wald z = β/SE with
 * two-sided p = 2Φ(−|z|) (`twoSidedP`) — the quantities R's `summary(glm(..., family = binomial))` reports.
 *
 * No MLE exists, and the result has null coefficients with a `reason`, when: the outcome has one
 * class (with an intercept); the design is rank deficient (`singular`: e.g. a constant covariate
 * beside the intercept, or collinear columns, 1 − R² ≤ 1e-10); or the classes are (quasi-)separated
 * (`separation`), recognised by Newton drifting — steps that stop shrinking while fitted
 * probabilities approach 0 or 1 — by XᵀWX collapsing, or by no convergence within maxIter. A
 * converged fit with a few extreme fitted probabilities (an outlying covariate) keeps its finite
 * MLE, where R's glm would still warn "fitted probabilities numerically 0 or 1 occurred".
 *
 * @example
 * const fit = fitLogistic([[1], [2], [3], [4], [5], [6]], [0, 0, 1, 0, 1, 1]);
 * fit.coefficients; // [intercept, slope] ≈ [-4.24910, 1.21403], as R's glm reports
 */
export function fitLogistic(
  rows: CovariateRows | Float64Array[],
  y: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticFit {
  const intercept = options.intercept ?? true;
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  const offset = options.offset;
  const d = buildDesign(rows, intercept);
  checkOutcome(y, d.n, offset);
  const { n, k } = d;

  if (intercept && n > 0) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += y[i]!;
    if (sum === 0 || sum === n) return noMle('one-class', null, 0);
  }
  // Rank check on the unweighted cross product, so a constant or collinear column is called
  // singular rather than blamed on the data's separation later.
  const xtx = statsOnDesign(d, new Float64Array(n), new Float64Array(k)).information;
  if (n < k || cholesky(xtx, k) === null) return noMle('singular', null, 0);

  // The iteration itself is shared with the federated fit (newton-irls.ts).
  return runNewtonIrls(k, (beta) => statsOnDesign(d, y, beta, offset), { maxIter, tol });
}
