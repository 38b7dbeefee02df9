/**
 * The pooled decision curve of several sites from their merged score histograms (what they release;
 * merged-histograms.ts), on the study grid 0.01…0.99, with a per-threshold error bound against the
 * curve of the concatenated predictions (Vickers & Elkin 2006; `decisionCurve`).
 *
 * Estimate. A site's true- and false-positive counts TP(t), FP(t) (score ≥ t) are released exactly
 * at its bin edges. For t inside a bin [lo, hi) of the site, TP(t) lies between the cases from hi up
 * (TP_hi) and those from lo up (TP_hi + pos_bin); the estimate spreads the bin's cases evenly over it
 * (linear interpolation of the cumulative counts):
 *
 *   TP̂(t) = TP_hi + pos_bin · f,   f = (hi − t)/(hi − lo),   |TP̂(t) − TP(t)| ≤ pos_bin · max(f, 1 − f),
 *
 * and the same for FP. Sums over sites are estimates of the pooled counts, with the summed bounds
 * e_TP(t), e_FP(t). Net benefit NB = TP/n − FP/n · t/(1−t) is linear in TP and FP, so
 *
 *   |NB̂(t) − NB(t)| ≤ (e_TP(t) + e_FP(t) · t/(1−t)) / n = net_benefit_error_bound[t],
 *
 * which is 0 at a threshold that is an edge of every site. Treat-all needs only n and n_pos: exact.
 */

import { netBenefitCurve, type DecisionCurve } from './decision-curve';
import type { MergedScoreHistograms } from './merged-histograms';
import { checkMergedHistograms } from './pooled-auc';
import { STUDY_THRESHOLDS } from './study-grid';
import { MetricsInputError } from './validate';

/** What the pooled curve needs from a site's report (a `SiteMetricsReport` has these fields). */
export interface SiteCounts {
  n: number;
  n_pos: number;
  score_histograms: MergedScoreHistograms;
}

/** Estimated counts at each threshold and their error bounds; see the file comment. */
export interface ThresholdEstimates {
  thresholds: number[];
  tp: number[];
  fp: number[];
  tp_error: number[];
  fp_error: number[];
}

/** The pooled decision curve and |NB̂ − NB| ≤ net_benefit_error_bound at each threshold. */
export interface PooledDecisionCurve extends DecisionCurve {
  net_benefit_error_bound: number[];
}

/**
 * One site's TP̂, FP̂ and their bounds at `thresholds` (each in (0, 1)), from its merged histograms.
 *
 * @example
 * thresholdEstimates({ bins: 100, edges: [0, 20, 60, 100], positive: [0, 6, 5], negative: [7, 5, 0] }, [0.2, 0.3]);
 * // t = 0.2 is an edge: tp 11, fp 5, errors 0. t = 0.3 in [0.2, 0.6): f = 0.75,
 * // tp 5 + 6·0.75 = 9.5 (error 6·0.75 = 4.5), fp 0 + 5·0.75 = 3.75 (error 3.75)
 */
export function thresholdEstimates(
  h: MergedScoreHistograms,
  thresholds: readonly number[] = STUDY_THRESHOLDS,
): ThresholdEstimates {
  const m = h.edges.length - 1;
  // above[j]: cases in bins j and higher.
  const tpAbove = new Array<number>(m + 1).fill(0);
  const fpAbove = new Array<number>(m + 1).fill(0);
  for (let j = m - 1; j >= 0; j--) {
    tpAbove[j] = tpAbove[j + 1]! + h.positive[j]!;
    fpAbove[j] = fpAbove[j + 1]! + h.negative[j]!;
  }
  const out: ThresholdEstimates = { thresholds: [...thresholds], tp: [], fp: [], tp_error: [], fp_error: [] };
  let j = 0;
  for (const t of thresholds) {
    while (j + 1 < m && h.edges[j + 1]! / h.bins <= t) j++;
    const lo = h.edges[j]! / h.bins;
    const hi = h.edges[j + 1]! / h.bins;
    if (t === lo) {
      out.tp.push(tpAbove[j]!);
      out.fp.push(fpAbove[j]!);
      out.tp_error.push(0);
      out.fp_error.push(0);
      continue;
    }
    const f = (hi - t) / (hi - lo);
    const spread = Math.max(f, 1 - f);
    out.tp.push(tpAbove[j + 1]! + h.positive[j]! * f);
    out.fp.push(fpAbove[j + 1]! + h.negative[j]! * f);
    out.tp_error.push(h.positive[j]! * spread);
    out.fp_error.push(h.negative[j]! * spread);
  }
  return out;
}

/**
 * The sites' summed estimates on the study grid (or `thresholds`); every site's histograms are checked.
 *
 * @throws MetricsInputError naming `sites[i]` for malformed histograms or counts that do not add up.
 * @example pooledThresholdEstimates(reports).tp[49]; // estimated pooled TP at t = 0.5
 */
export function pooledThresholdEstimates(
  sites: readonly SiteCounts[],
  thresholds: readonly number[] = STUDY_THRESHOLDS,
): ThresholdEstimates & { n: number; n_pos: number } {
  if (sites.length === 0) throw new MetricsInputError('no sites; expected at least one', 'sites', null);
  const zero = (): number[] => thresholds.map(() => 0);
  const out = {
    n: 0,
    n_pos: 0,
    thresholds: [...thresholds],
    tp: zero(),
    fp: zero(),
    tp_error: zero(),
    fp_error: zero(),
  };
  sites.forEach((site, i) => {
    const h = site.score_histograms;
    checkMergedHistograms(h, `sites[${i}].score_histograms`);
    const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    if (sum(h.positive) !== site.n_pos || sum(h.negative) !== site.n - site.n_pos)
      throw new MetricsInputError(
        `sites[${i}].score_histograms hold ${sum(h.positive)} positives and ${sum(h.negative)} negatives; expected n_pos = ${site.n_pos} and n − n_pos = ${site.n - site.n_pos}`,
        `sites[${i}].score_histograms`,
        null,
      );
    const e = thresholdEstimates(h, thresholds);
    out.n += site.n;
    out.n_pos += site.n_pos;
    for (let j = 0; j < thresholds.length; j++) {
      out.tp[j]! += e.tp[j]!;
      out.fp[j]! += e.fp[j]!;
      out.tp_error[j]! += e.tp_error[j]!;
      out.fp_error[j]! += e.fp_error[j]!;
    }
  });
  return out;
}

/**
 * The decision curve of all sites' cases together, from their released histograms alone, with its
 * error bound (file comment); equal to `decisionCurve` of the concatenated predictions wherever the
 * bound is 0.
 *
 * @throws MetricsInputError for malformed histograms, or no cases at all.
 * @example pooledDecisionCurve(reports).range; // e.g. [0.17, 0.6]: where pooled net benefit beats both
 */
export function pooledDecisionCurve(sites: readonly SiteCounts[]): PooledDecisionCurve {
  const c = pooledThresholdEstimates(sites);
  if (c.n === 0) throw new MetricsInputError('the sites report no cases; expected n > 0', 'n', null, 0);
  const curve = netBenefitCurve(c.n, c.n_pos, c.thresholds, c.tp, c.fp);
  return {
    ...curve,
    net_benefit_error_bound: c.thresholds.map(
      (t, j) => (c.tp_error[j]! + c.fp_error[j]! * (t / (1 - t))) / c.n,
    ),
  };
}
