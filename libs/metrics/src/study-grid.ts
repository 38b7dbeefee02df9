/**
 * The evaluation layout every site and the coordinator share (DESIGN.md "Evaluation and release"),
 * defined here once: the risk-threshold grid of the decision curve and of the per-threshold counts,
 * and the bins of the per-class score histograms. A report on another layout cannot be pooled, so the
 * coordinator refuses it ({@link studyLayoutProblem}).
 */

/** Thresholds in the grid: t = k/100, k = 1…99. */
const GRID_STEPS = 100;

/**
 * The study's risk-threshold grid t = k/100, k = 1…99, each computed as k/100 so that it is the same
 * float64 everywhere (0.07 here, not 7 × 0.01).
 *
 * @example STUDY_THRESHOLDS.slice(0, 3); // [0.01, 0.02, 0.03]
 */
export const STUDY_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: GRID_STEPS - 1 }, (_, i) => (i + 1) / GRID_STEPS),
);

/**
 * Fine bins of the per-class score histograms, before a site merges them (merged-histograms.ts): the
 * 0.01-wide cells of the grid. Their edges b/100 are the thresholds k/100 as the same float64 (both
 * correctly rounded quotients of exact integers), so the counts at a merged bin's inner edge are
 * the threshold counts there exactly.
 */
export const STUDY_HISTOGRAM_BINS = GRID_STEPS;

/** The counts of a site's report that the coordinator pools (the wire field names). */
export interface StudyLayoutCounts {
  readonly n: number;
  readonly n_pos: number;
  readonly threshold_counts: { readonly thresholds: unknown; readonly tp: unknown; readonly fp: unknown };
  readonly score_histograms: {
    readonly bins: unknown;
    readonly edges: unknown;
    readonly positive: unknown;
    readonly negative: unknown;
  };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first entry of `values` that is not a count, as a problem, or null. */
function countsProblem(values: unknown, length: number, field: string): string | null {
  if (!Array.isArray(values) || values.length !== length) {
    const got = Array.isArray(values) ? `${values.length} values` : typeof values;
    return `${field} has ${got}; expected ${length} counts`;
  }
  const i = values.findIndex((v) => !isCount(v));
  return i < 0 ? null : `${field}[${i}] is ${JSON.stringify(values[i])}; expected a non-negative integer`;
}

/** Why `edges` are not 0 < e₁ < … < bins on the fine bins, or null. */
function edgesProblem(edges: unknown): string | null {
  const bins = STUDY_HISTOGRAM_BINS;
  const field = 'score_histograms.edges';
  if (!Array.isArray(edges) || edges.length < 2 || edges.length > bins + 1)
    return `${field} has ${Array.isArray(edges) ? `${edges.length} values` : typeof edges}; expected 2 to ${bins + 1} bin edges`;
  if (edges[0] !== 0 || edges[edges.length - 1] !== bins)
    return `${field} runs from ${JSON.stringify(edges[0])} to ${JSON.stringify(edges[edges.length - 1])}; expected 0 to ${bins}`;
  for (let j = 1; j < edges.length; j++)
    if (!(Number.isSafeInteger(edges[j]) && edges[j] > edges[j - 1]))
      return `${field}[${j}] is ${JSON.stringify(edges[j])}; expected an integer above ${JSON.stringify(edges[j - 1])}`;
  return null;
}

const sum = (values: readonly number[]): number => values.reduce((a, v) => a + v, 0);

/**
 * Why a report's counts are not on the study's layout, or null when they are: the histograms' bins
 * are merged from {@link STUDY_HISTOGRAM_BINS} fine bins (edges 0 < … < 100, one count per merged
 * bin and class), hold `n_pos` positives and `n − n_pos` negatives, and the threshold counts are
 * given at exactly the inner edges e (t = e/100 = the grid's k/100) and are the cases in the bins from
 * e on, as `siteEvaluationCounts` makes them. Never throws, whatever `c` holds. (Whether the counts
 * obey the privacy rule is `releasedReportProblem`'s question.)
 *
 * @example
 * studyLayoutProblem({ n: 1, n_pos: 1, threshold_counts: { thresholds: [0.5], tp: [1], fp: [0] }, score_histograms: { bins: 100, edges: [0, 100], positive: [1], negative: [0] } })
 * // 'threshold_counts.thresholds has 1 values; expected the 0 inner bin edges of score_histograms'
 */
export function studyLayoutProblem(c: StudyLayoutCounts): string | null {
  const { bins, edges, positive, negative } = c.score_histograms;
  if (bins !== STUDY_HISTOGRAM_BINS)
    return `score_histograms.bins is ${JSON.stringify(bins)}; expected ${STUDY_HISTOGRAM_BINS}`;
  const edgeProblem = edgesProblem(edges);
  if (edgeProblem) return edgeProblem;
  const e = edges as number[];
  const m = e.length - 1;
  const { thresholds, tp, fp } = c.threshold_counts;
  if (!Array.isArray(thresholds) || thresholds.length !== m - 1) {
    const got = Array.isArray(thresholds) ? `${thresholds.length} values` : typeof thresholds;
    return `threshold_counts.thresholds has ${got}; expected the ${m - 1} inner bin edges of score_histograms`;
  }
  for (let j = 1; j < m; j++) {
    const t = STUDY_THRESHOLDS[e[j]! - 1];
    if (thresholds[j - 1] !== t)
      return `threshold_counts.thresholds[${j - 1}] is ${JSON.stringify(thresholds[j - 1])}; expected ${t} (the bin edge score_histograms.edges[${j}] = ${e[j]} on the grid k/100)`;
  }
  const problem =
    countsProblem(tp, m - 1, 'threshold_counts.tp') ??
    countsProblem(fp, m - 1, 'threshold_counts.fp') ??
    countsProblem(positive, m, 'score_histograms.positive') ??
    countsProblem(negative, m, 'score_histograms.negative');
  if (problem) return problem;
  const [pos, neg, tps, fps] = [positive, negative, tp, fp] as number[][];
  const nNeg = c.n - c.n_pos;
  if (sum(pos!) !== c.n_pos)
    return `score_histograms.positive holds ${sum(pos!)} cases; expected n_pos = ${c.n_pos}`;
  if (sum(neg!) !== nNeg)
    return `score_histograms.negative holds ${sum(neg!)} cases; expected n − n_pos = ${nNeg}`;
  let above = { tp: 0, fp: 0 };
  for (let j = m - 1; j >= 1; j--) {
    above = { tp: above.tp + pos![j]!, fp: above.fp + neg![j]! };
    if (tps![j - 1] !== above.tp || fps![j - 1] !== above.fp) {
      return `threshold_counts at t = ${thresholds[j - 1]} are tp ${tps![j - 1]}, fp ${fps![j - 1]}; the histograms give tp ${above.tp}, fp ${above.fp}`;
    }
  }
  return null;
}
