import { defaultThresholds, metricsReport, thresholdCounts } from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';
import { scoreHistograms } from './score-histogram';

/** Bins of the per-class score histograms: 0.001 wide, finer than any threshold grid a lead would pick. */
export const HISTOGRAM_BINS = 1000;

/**
 * What a site sends in `metrics:report`: the `fedaln-metrics` report without its ROC curve (whose
 * thresholds are the distinct per-case scores), plus TP/FP counts on the study grid 0.01…0.99 and
 * per-class score histograms — aggregates only, never per-case data.
 *
 * @example
 * siteMetricsReport([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).threshold_counts.tp[49]; // 1 (one positive ≥ 0.5)
 */
export function siteMetricsReport(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  bins = HISTOGRAM_BINS,
): SiteMetricsReport {
  const full = metricsReport({ labels, scores });
  const thresholds = defaultThresholds();
  const { tp, fp } = thresholdCounts(labels, scores, thresholds);
  return {
    n: full.n,
    n_pos: full.n_pos,
    prevalence: full.prevalence,
    auc: full.auc,
    delong_var: full.delong_var,
    auc_ci: full.auc_ci,
    paired: full.paired,
    youden: full.youden,
    brier: full.brier,
    calibration: full.calibration,
    dca: full.dca,
    threshold_counts: { thresholds, tp, fp },
    score_histograms: scoreHistograms(labels, scores, bins),
  };
}
