/**
 * The report a site releases about a model on its test split, under the privacy rule
 * (privacy-rule.ts), field by field — and why none of it is per-case data:
 *
 * - `n`, `n_pos`, `prevalence`: the class totals; they say how many patients, not which. The lead
 *   approves them before a site trains (issue 13).
 * - `score_histograms`: per-class counts in merged bins, each 0 or ≥ k (merged-histograms.ts).
 * - `threshold_counts`: TP and FP at the merged bins' inner edges only: sums of whole bins, so each
 *   count and each change between two released thresholds is 0 or ≥ k cases of a class.
 * - `dca`: computed from the released histograms only (`pooledDecisionCurve` of the one site), so it
 *   says nothing the histograms do not. (From an exact curve at every 0.01, TP and FP at every 0.01
 *   could be solved back, since NB = TP/n − FP/n · t/(1−t) with integer TP and FP.)
 * - `youden`: the best of the released thresholds (`youdenFromCounts`), never a patient's score (the
 *   exact Youden threshold is one case's predicted probability).
 * - `auc`, `delong_var`, `auc_ci`, `paired`, `brier`, `calibration`: summaries over all cases,
 *   released only when each class has ≥ k cases, else null (`summariesReleasable`: with one positive,
 *   the AUC is that patient's rank among the negatives). The AUC is a mean over ≥ k positives'
 *   placements among ≥ k negatives; against the histograms it adds only, summed over the bins that
 *   hold both classes, how many of their (≥ k × ≥ k) pairs are ordered. The DeLong variance is the
 *   spread of those placements; Brier a mean of n squared errors; calibration the two coefficients
 *   of a logistic fit over all n cases; none of them is a count of fewer than k cases.
 *
 * The coordinator checks each report against these rules (`releasedReportProblem`), so a buggy site
 * client that leaks finer data is refused before the report is stored or shown.
 */

import type { Calibration } from './calibration';
import type { DecisionCurve } from './decision-curve';
import type { MergedScoreHistograms } from './merged-histograms';
import { siteAucRange } from './pooled-auc';
import { pooledDecisionCurve } from './pooled-decision-curve';
import { DEFAULT_MIN_CELL_COUNT, releasableCount, summariesReleasable } from './privacy-rule';
import { metricsReport, type MetricsReport, type MetricsReportInput } from './report';
import { siteEvaluationCounts, type ThresholdCountsOnGrid } from './site-histograms';
import { youdenFromCounts } from './youden';

/** A number as JSON carries it. */
type JsonNumber = number | null;

/** What a site sends in `metrics:report` (the protocol's `SiteMetricsReport`, field for field). */
export interface ReleasedReport extends Omit<MetricsReport, 'roc'> {
  threshold_counts: ThresholdCountsOnGrid;
  score_histograms: MergedScoreHistograms;
}

/** The fields of a report that are derived from its released counts alone. */
export interface ReleasedCurves {
  youden: ReleasedReport['youden'];
  dca: DecisionCurve | null;
}

const finite = (x: number): JsonNumber => (Number.isFinite(x) ? x : null);

/**
 * Youden's point and the decision curve of a site's released counts (see the file comment).
 *
 * @example releasedCurves(report).dca?.net_benefit[49]; // NB at 0.5, from the merged bins only
 */
export function releasedCurves(c: {
  n: number;
  n_pos: number;
  threshold_counts: ThresholdCountsOnGrid;
  score_histograms: MergedScoreHistograms;
}): ReleasedCurves {
  const y = youdenFromCounts({ n_pos: c.n_pos, n_neg: c.n - c.n_pos, ...c.threshold_counts });
  let dca: DecisionCurve | null = null;
  if (c.n > 0) {
    const { net_benefit_error_bound: _bound, ...curve } = pooledDecisionCurve([c]);
    dca = curve;
  }
  return {
    youden: y && {
      threshold: finite(y.threshold),
      sensitivity: y.sensitivity,
      specificity: y.specificity,
      j: y.j,
    },
    dca,
  };
}

const WITHHELD_CALIBRATION: Calibration = { intercept: null, slope: null, intercept_joint: null };

/**
 * The report a site sends: the `metricsReport` of its test split, with the histograms merged under
 * the rule, Youden's point and the decision curve from the released counts, and the score
 * summaries withheld (null) when a class has fewer than k cases. No ROC curve: its thresholds are
 * the distinct per-case scores.
 *
 * @example
 * const r = releasedReport({ labels, scores }, 5);
 * r.score_histograms.positive.every((c) => c === 0 || c >= 5); // true, unless one bin holds all
 */
export function releasedReport(
  input: MetricsReportInput,
  k: number = DEFAULT_MIN_CELL_COUNT,
): ReleasedReport {
  const { roc: _perCase, ...full } = metricsReport(input);
  const counts = siteEvaluationCounts(input.labels, input.scores, { k });
  const curves = releasedCurves({ n: full.n, n_pos: full.n_pos, ...counts });
  if (summariesReleasable(full.n_pos, full.n - full.n_pos, k)) return { ...full, ...curves, ...counts };
  return {
    ...full,
    auc: null,
    delong_var: null,
    auc_ci: null,
    paired: full.paired && { auc_b: null, delong_var_b: null, z: null, p: null },
    brier: null,
    calibration: WITHHELD_CALIBRATION,
    ...curves,
    ...counts,
  };
}

/** The released report fields the rule reads; anything else may be in the object. */
export interface ReleasedReportFields {
  n: number;
  n_pos: number;
  auc: JsonNumber;
  delong_var: JsonNumber;
  auc_ci: unknown;
  paired: { auc_b: JsonNumber; delong_var_b: JsonNumber; z: JsonNumber; p: JsonNumber } | null;
  brier: JsonNumber;
  calibration: { intercept: JsonNumber; slope: JsonNumber; intercept_joint: JsonNumber };
  youden: ReleasedReport['youden'];
  dca: DecisionCurve | null;
  threshold_counts: ThresholdCountsOnGrid;
  score_histograms: MergedScoreHistograms;
}

/** Derived values may differ from a recomputation by rounding only. */
const SAME = 1e-12;
const near = (a: number | null, b: number | null): boolean =>
  a === b || (a !== null && b !== null && Math.abs(a - b) <= SAME);

/**
 * Why a report breaks the privacy rule with `k`, naming the field and its value, or null when it
 * obeys it. The report must already be on the study's layout (`studyLayoutProblem`): histograms and
 * threshold counts consistent. Checks: every histogram count 0 or ≥ k (or one bin [0, 1]); the
 * score summaries null when a class has fewer than k cases; Youden's point and the decision curve
 * the ones the released counts give (`releasedCurves`).
 *
 * @example
 * releasedReportProblem({ ...report, score_histograms: { bins: 100, edges: [0, 40, 100], positive: [1, 9], negative: [8, 2] } }, 5);
 * // 'score_histograms.positive[0] is 1 case in [0, 0.4); the privacy rule releases 0 or at least k = 5 cases of a class per bin'
 */
export function releasedReportProblem(r: ReleasedReportFields, k: number): string | null {
  const h = r.score_histograms;
  if (h.edges.length > 2) {
    for (const cls of ['positive', 'negative'] as const) {
      const j = h[cls].findIndex((c) => !releasableCount(c, k));
      if (j >= 0)
        return `score_histograms.${cls}[${j}] is ${h[cls][j]} case${h[cls][j] === 1 ? '' : 's'} in [${h.edges[j]! / h.bins}, ${h.edges[j + 1]! / h.bins}); the privacy rule releases 0 or at least k = ${k} cases of a class per bin`;
    }
  }
  if (!summariesReleasable(r.n_pos, r.n - r.n_pos, k)) {
    const withheld: [string, unknown][] = [
      ['auc', r.auc],
      ['delong_var', r.delong_var],
      ['auc_ci', r.auc_ci],
      ['brier', r.brier],
      ['calibration.intercept', r.calibration.intercept],
      ['calibration.slope', r.calibration.slope],
      ['calibration.intercept_joint', r.calibration.intercept_joint],
      ...Object.entries(r.paired ?? {}).map(([key, v]): [string, unknown] => [`paired.${key}`, v]),
    ];
    const leaked = withheld.find(([, v]) => v !== null);
    if (leaked)
      return `${leaked[0]} is ${JSON.stringify(leaked[1])} with n_pos = ${r.n_pos} and n − n_pos = ${r.n - r.n_pos}; the privacy rule withholds (null) the score summaries unless each class has at least k = ${k} cases`;
  }
  if (typeof r.auc === 'number') {
    const range = siteAucRange(r.score_histograms);
    if (range && !(r.auc >= range[0] - 1e-9 && r.auc <= range[1] + 1e-9))
      return `auc is ${r.auc}; the released histogram allows an AUC in [${range[0]}, ${range[1]}] (pairs in ordered bins, plus those sharing a bin), so the report contradicts itself`;
  }
  const want = releasedCurves(r);
  const y = r.youden;
  const wy = want.youden;
  if (
    (y === null) !== (wy === null) ||
    (y &&
      wy &&
      !(
        near(y.threshold, wy.threshold) &&
        near(y.sensitivity, wy.sensitivity) &&
        near(y.specificity, wy.specificity) &&
        near(y.j, wy.j)
      ))
  )
    return `youden is ${JSON.stringify(y)}; the privacy rule releases the Youden point of the released threshold counts, ${JSON.stringify(wy)}`;
  const d = r.dca;
  const wd = want.dca;
  if ((d === null) !== (wd === null))
    return `dca is ${d === null ? 'null' : 'a curve'}; expected ${wd === null ? 'null (no cases)' : 'the curve of the released counts'}`;
  if (d && wd) {
    const j = wd.thresholds.findIndex(
      (t, i) =>
        d.thresholds[i] !== t ||
        !near(d.net_benefit[i] ?? null, wd.net_benefit[i]!) ||
        !near(d.treat_all[i] ?? null, wd.treat_all[i]!),
    );
    if (d.thresholds.length !== wd.thresholds.length)
      return `dca.thresholds has ${d.thresholds.length} values; the privacy rule releases the curve of the released counts on the ${wd.thresholds.length} grid thresholds`;
    if (j >= 0)
      return `dca.net_benefit[${j}] is ${d.net_benefit[j]} at t = ${wd.thresholds[j]}; the privacy rule releases the curve of the released counts (${wd.net_benefit[j]}), not one computed from the scores`;
    if (JSON.stringify([d.range, d.runs]) !== JSON.stringify([wd.range, wd.runs]))
      return `dca.range is ${JSON.stringify(d.range)} and dca.runs ${JSON.stringify(d.runs)}; the released counts give ${JSON.stringify(wd.range)} and ${JSON.stringify(wd.runs)}`;
  }
  return null;
}
