/**
 * The pooled decision curve of several sites from their threshold counts. TP(t) and FP(t) — cases
 * with score ≥ t by outcome — add over disjoint sets of cases, as do n and n_pos, so the curve of
 * the summed counts is exactly the curve of the concatenated predictions at the grid thresholds
 * (Vickers & Elkin 2006; `decisionCurveFromCounts`).
 */

import { decisionCurveFromCounts, type DecisionCurve } from './decision-curve';
import type { ThresholdCountsOnGrid } from './site-histograms';
import { MetricsInputError } from './validate';

/** What the pooled curve needs from a site's report (a `SiteMetricsReport` has these fields). */
export interface SiteCounts {
  n: number;
  n_pos: number;
  threshold_counts: ThresholdCountsOnGrid;
}

/**
 * Sums sites' n, n_pos, tp and fp; every site must use the same threshold grid (value for value).
 *
 * @throws MetricsInputError naming `sites[i]` for a different grid or mismatched lengths.
 * @example
 * const grid = [0.5];
 * pooledCounts([
 *   { n: 4, n_pos: 2, threshold_counts: { thresholds: grid, tp: [1], fp: [1] } },
 *   { n: 2, n_pos: 1, threshold_counts: { thresholds: grid, tp: [1], fp: [0] } },
 * ]); // { n: 6, n_pos: 3, thresholds: [0.5], tp: [2], fp: [1] }
 */
export function pooledCounts(sites: readonly SiteCounts[]): {
  n: number;
  n_pos: number;
  thresholds: number[];
  tp: number[];
  fp: number[];
} {
  const first = sites[0];
  if (first === undefined) throw new MetricsInputError('no sites; expected at least one', 'sites', null);
  const thresholds = Array.from(first.threshold_counts.thresholds);
  const tp = new Array<number>(thresholds.length).fill(0);
  const fp = new Array<number>(thresholds.length).fill(0);
  let n = 0;
  let n_pos = 0;
  sites.forEach((site, i) => {
    const c = site.threshold_counts;
    const field = `sites[${i}].threshold_counts`;
    if (c.thresholds.length !== thresholds.length || c.thresholds.some((t, j) => t !== thresholds[j]))
      throw new MetricsInputError(
        `${field}.thresholds differ from sites[0]'s; every site must report on the study grid`,
        `${field}.thresholds`,
        null,
      );
    if (c.tp.length !== thresholds.length || c.fp.length !== thresholds.length)
      throw new MetricsInputError(
        `${field} has ${c.tp.length} tp and ${c.fp.length} fp for ${thresholds.length} thresholds; expected one of each per threshold`,
        field,
        null,
      );
    n += site.n;
    n_pos += site.n_pos;
    for (let j = 0; j < thresholds.length; j++) {
      tp[j] = tp[j]! + c.tp[j]!;
      fp[j] = fp[j]! + c.fp[j]!;
    }
  });
  return { n, n_pos, thresholds, tp, fp };
}

/**
 * The decision curve of all sites' cases together, from their counts alone; equal to
 * `decisionCurve` of the concatenated labels and scores on the same grid.
 *
 * @throws MetricsInputError for differing grids or counts that cannot be (tp > n_pos, ...).
 * @example
 * pooledDecisionCurve(reports).range; // e.g. [0.17, 0.6]: where pooled net benefit beats both
 */
export function pooledDecisionCurve(sites: readonly SiteCounts[]): DecisionCurve {
  return decisionCurveFromCounts(pooledCounts(sites));
}
