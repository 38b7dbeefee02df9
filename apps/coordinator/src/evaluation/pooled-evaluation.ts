/**
 * The coordinator's pooled evaluation of one round, from the sites' aggregate reports only
 * (DESIGN.md "Evaluation and release"): the decision curve of the summed per-threshold counts
 * (exactly the curve of the concatenated predictions at the grid thresholds), and the ROC/AUC of
 * the summed score histograms with its binning error bound and a DeLong CI of the binned scores.
 * Pure.
 */
import {
  histogramDelong,
  histogramRoc,
  pooledDecisionCurve,
  sumScoreHistograms,
  type DecisionCurve,
} from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import type { PolicyPooled } from './release-policy';

export interface PooledEvaluation {
  readonly n: number;
  readonly n_pos: number;
  /** AUC of the binned pooled scores; |auc − exact AUC| ≤ auc_error_bound. */
  readonly auc: number | null;
  readonly auc_ci: [number, number] | null;
  readonly auc_error_bound: number | null;
  readonly bins: number;
  readonly roc: { readonly fpr: number[]; readonly tpr: number[] };
  readonly decision_curve: DecisionCurve;
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
  const histogram = sumScoreHistograms(reports.map((r) => r.score_histograms));
  const roc = histogramRoc(histogram);
  const ci = histogramDelong(histogram)?.ci ?? null;
  return {
    n: reports.reduce((a, r) => a + r.n, 0),
    n_pos: reports.reduce((a, r) => a + r.n_pos, 0),
    auc: roc.auc,
    auc_ci: ci,
    auc_error_bound: roc.auc_error_bound,
    bins: histogram.bins,
    roc: { fpr: roc.fpr, tpr: roc.tpr },
    decision_curve: pooledDecisionCurve(reports),
  };
}

/** The pooled figures the release policy reads. @example evaluateReleasePolicy(policy, { sites, pooled: policyPooled(pooled) }) */
export function policyPooled(pooled: PooledEvaluation | null): PolicyPooled {
  return {
    auc: pooled?.auc ?? null,
    dca: pooled ? pooled.decision_curve : null,
  };
}
