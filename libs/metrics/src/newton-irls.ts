/**
 * The Newton–Raphson iteration of logistic maximum likelihood, which for the canonical logit link
 * is IRLS (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §2.5 and §4.4):
 *
 *   β ← β + (XᵀWX)⁻¹ Xᵀ(y − μ),   halving the step while the deviance rises,
 *
 * written as a generator that asks its driver for the sufficient statistics at each β it wants, so
 * the same iteration runs on local rows (a synchronous driver) or across sites (an asynchronous
 * driver that sums the sites' answers). Rules as `fitLogistic`: converged when every
 * |Δβⱼ| ≤ tol·(1 + |βⱼ|); separation when XᵀWX collapses, when Newton drifts (8 consecutive steps
 * at least half as long as the one before with max |η| > 15) or when maxIter runs out; standard
 * errors √diag (XᵀWX)⁻¹ at the estimate, Wald p = 2Φ(−|z|).
 */

import { cholesky, choleskyInverse, choleskySolve } from './linalg';
import type { LogisticFit, LogisticSufficientStats } from './logistic';
import { twoSidedP } from './normal';

/**
 * Separation shows as Newton drifting: steps stop shrinking (a finite MLE is approached
 * quadratically, each step far smaller than the last) while some fitted probabilities head to 0 or 1.
 * This many consecutive steps at least half as long as the one before, with max |η| above
 * DRIFT_ETA (fitted probability beyond 3e-7 of 0 or 1), is taken as divergence.
 */
const DRIFT_STEPS = 8;
const DRIFT_ETA = 15;

export interface NewtonIrlsOptions {
  /** Iterations at most (default 100). */
  maxIter?: number;
  /** Step tolerance (default 1e-10). */
  tol?: number;
}

/** No estimate: `reason` separation, with the deviance where the iteration stopped. */
function separation(deviance: number, iterations: number): LogisticFit {
  const none = { coefficients: null, std_errors: null, z: null, p: null };
  return { ...none, deviance, iterations, converged: false, reason: 'separation' };
}

/**
 * Iterates from β = 0, given the statistics there (`start`); yields each β whose statistics it
 * needs and returns the fit. The caller has already ruled out a one-class outcome and a
 * rank-deficient design.
 *
 * @example
 * const it = newtonIrls(2, logisticSufficientStats(X, y, [0, 0]));
 * let r = it.next();
 * while (!r.done) r = it.next(logisticSufficientStats(X, y, r.value));
 * r.value.coefficients; // as fitLogistic(X, y).coefficients
 */
export function* newtonIrls(
  k: number,
  start: LogisticSufficientStats,
  options: NewtonIrlsOptions = {},
): Generator<Float64Array, LogisticFit, LogisticSufficientStats> {
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  let beta: Float64Array = new Float64Array(k);
  let stats = start;
  let iterations = 0;
  let drifting = 0;
  let lastStepNorm = Infinity;
  for (;;) {
    // A finite MLE is reached quadratically; running out of iterations means β keeps drifting.
    if (iterations >= maxIter) return separation(stats.deviance, iterations);
    iterations++;
    const l = cholesky(stats.information, k, 1e-14);
    // The design has full rank, so a collapsing XᵀWX means the weights μ(1−μ) vanished.
    if (l === null) return separation(stats.deviance, iterations);
    const step = choleskySolve(l, k, stats.score);
    let next: Float64Array;
    let nextStats: LogisticSufficientStats;
    for (let halvings = 0; ; halvings++) {
      next = beta.map((b, j) => b + step[j]!);
      nextStats = yield next;
      if (nextStats.deviance <= stats.deviance * (1 + 1e-12) + 1e-300 || halvings >= 30) break;
      for (let j = 0; j < k; j++) step[j] = step[j]! / 2;
    }
    const small = step.every((s, j) => Math.abs(s) <= tol * (1 + Math.abs(next[j]!)));
    const stepNorm = step.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    beta = next;
    stats = nextStats;
    if (small) break;
    drifting = stepNorm > 0.5 * lastStepNorm && stats.max_abs_eta > DRIFT_ETA ? drifting + 1 : 0;
    lastStepNorm = stepNorm;
    if (drifting >= DRIFT_STEPS) return separation(stats.deviance, iterations);
  }
  const l = cholesky(stats.information, k, 1e-14);
  if (l === null) return separation(stats.deviance, iterations);
  const cov = choleskyInverse(l, k);
  const coefficients = Array.from(beta);
  const std_errors = coefficients.map((_, j) => Math.sqrt(cov[j * k + j]!));
  const z = coefficients.map((b, j) => b / std_errors[j]!);
  const p = z.map(twoSidedP);
  return {
    coefficients,
    std_errors,
    z,
    p,
    deviance: stats.deviance,
    iterations,
    converged: true,
    reason: null,
  };
}

/**
 * Runs {@link newtonIrls} with a synchronous source of statistics (local rows).
 *
 * @example
 * runNewtonIrls(2, (beta) => logisticSufficientStats(X, y, beta)).coefficients;
 */
export function runNewtonIrls(
  k: number,
  statsAt: (beta: Float64Array) => LogisticSufficientStats,
  options: NewtonIrlsOptions = {},
): LogisticFit {
  const it = newtonIrls(k, statsAt(new Float64Array(k)), options);
  let r = it.next();
  while (!r.done) r = it.next(statsAt(r.value));
  return r.value;
}
