import { DEFAULT_MIN_CELL_COUNT, releasedReport } from '@fedaln/metrics';
import type { SiteMetricsReport } from '@fedaln/protocol';

/**
 * What a site sends in `metrics:report`: the `releasedReport` of `@fedaln/metrics` — the
 * `fedaln-metrics` report without its ROC curve (whose thresholds are the distinct per-case scores),
 * with score histograms merged until every count is 0 or at least k cases of a class, threshold counts
 * at the merged bins' edges, Youden's point and the decision curve from those counts, and the score
 * summaries withheld while a class has fewer than k cases (README "What a site sends, and why it is
 * not per-case data"). With `scores_b` (the four-feature model's probabilities on the same cases) its
 * `paired` field holds that model's AUC and the paired DeLong test against it.
 *
 * @example
 * siteMetricsReport([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).score_histograms.edges; // [0, 100]: 2 < k per class
 */
export function siteMetricsReport(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { scores_b?: ArrayLike<number>; k?: number } = {},
): SiteMetricsReport {
  const { scores_b } = options;
  return releasedReport(
    { labels, scores, ...(scores_b ? { scores_b } : {}) },
    options.k ?? DEFAULT_MIN_CELL_COUNT,
  );
}
