/**
 * The coordinator's pooled evaluation of one round, from the sites' released reports only
 * (DESIGN.md "Evaluation and release"; the privacy rule of @fedaln/metrics privacy-rule.ts): the
 * AUC of the merged histograms and the sites' own AUCs, with its error bound against the exact pooled AUC and a DeLong-type
 * CI (`pooledAuc`), the ROC curve of the estimated pooled counts on the grid, and the decision curve
 * with a per-threshold error bound (`pooledDecisionCurve`). Pure.
 */
import {
  pooledAuc,
  pooledDecisionCurve,
  pooledThresholdEstimates,
  STUDY_HISTOGRAM_BINS,
  type PooledDecisionCurve,
} from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import type { PolicyPooled } from './release-policy';

export interface PooledEvaluation {
  readonly n: number;
  readonly n_pos: number;
  /** AUC of the merged pooled histograms; |auc − exact pooled AUC| ≤ auc_error_bound. */
  readonly auc: number | null;
  readonly auc_ci: [number, number] | null;
  readonly auc_error_bound: number | null;
  readonly bins: number;
  /** ROC of the estimated pooled counts at 1, 0.99, …, 0.01, 0 (for plots). */
  readonly roc: { readonly fpr: number[]; readonly tpr: number[] };
  /** |net_benefit − exact| ≤ net_benefit_error_bound at each threshold. */
  readonly decision_curve: PooledDecisionCurve;
}

/**
 * Pools the reports of a round's sites; null when no site reported.
 *
 * @throws MetricsInputError (from @fedaln/metrics) when the sites' threshold grids or bins differ.
 * @example
 * poolReports([siteA.report, siteB.report])?.decision_curve.range; // e.g. [0.17, 0.6]
 */
export function poolReports(reports: readonly SiteMetricsReport[]): PooledEvaluation | null {
  if (reports.length === 0) return null;
  // Each site's own AUC (exact, released with ≥ k cases of a class) fixes its within-site pairs.
  const auc = pooledAuc(
    reports.map((r) => r.score_histograms),
    reports.map((r) => r.auc),
  );
  return {
    n: reports.reduce((a, r) => a + r.n, 0),
    n_pos: reports.reduce((a, r) => a + r.n_pos, 0),
    auc: auc.auc,
    auc_ci: auc.ci,
    auc_error_bound: auc.auc_error_bound,
    bins: STUDY_HISTOGRAM_BINS,
    roc: pooledRocCurve(reports),
    decision_curve: pooledDecisionCurve(reports),
  };
}

/**
 * The pooled ROC curve for plots: (FPR, TPR) of the estimated pooled counts (`pooledThresholdEstimates`)
 * from the strictest rule (nobody positive) through the grid 0.99…0.01 to everybody positive.
 *
 * @example pooledRocCurve(reports).fpr[0]; // 0
 */
export function pooledRocCurve(reports: readonly SiteMetricsReport[]): { fpr: number[]; tpr: number[] } {
  const c = pooledThresholdEstimates(reports);
  const nNeg = c.n - c.n_pos;
  if (c.n_pos === 0 || nNeg === 0) return { fpr: [], tpr: [] };
  const fpr = [0];
  const tpr = [0];
  for (let j = c.thresholds.length - 1; j >= 0; j--) {
    fpr.push(c.fp[j]! / nNeg);
    tpr.push(c.tp[j]! / c.n_pos);
  }
  fpr.push(1);
  tpr.push(1);
  return { fpr, tpr };
}

/** The pooled figures the release policy reads. @example evaluateReleasePolicy(policy, { sites, pooled: policyPooled(pooled) }) */
export function policyPooled(pooled: PooledEvaluation | null): PolicyPooled {
  return {
    auc: pooled?.auc ?? null,
    dca: pooled ? pooled.decision_curve : null,
  };
}
