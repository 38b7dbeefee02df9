import { metricsReport, siteEvaluationCounts } from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';

/**
 * What a site sends in `metrics:report`: the `fedaln-metrics` report without its ROC curve (whose
 * thresholds are the distinct per-case scores), plus TP/FP counts on the study grid 0.01…0.99 and
 * per-class score histograms on the study's bins (`siteEvaluationCounts` of `@fedaln/metrics`, whose
 * defaults are the one layout the coordinator accepts, study-grid.ts) — aggregates only, never
 * per-case data. With `scores_b` (the four-feature model's probabilities on the same cases) its
 * `paired` field holds that model's AUC and the paired DeLong test against it.
 *
 * @example
 * siteMetricsReport([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).threshold_counts.tp[49]; // 1 (one positive ≥ 0.5)
 */
export function siteMetricsReport(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { scores_b?: ArrayLike<number> } = {},
): SiteMetricsReport {
  const scores_b = options.scores_b;
  const { roc: _perCase, ...report } = metricsReport({ labels, scores, ...(scores_b ? { scores_b } : {}) });
  return { ...report, ...siteEvaluationCounts(labels, scores) };
}
