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
 * Bins of the per-class score histograms: 0.001 wide. Their edges b/1000 include every threshold k/100
 * of the grid as the same float64 (both are correctly rounded quotients of exact integers), so the
 * cumulative histograms equal the threshold counts at the grid points exactly.
 */
export const STUDY_HISTOGRAM_BINS = 1000;

/** The counts of a site's report that the coordinator pools (the wire field names). */
export interface StudyLayoutCounts {
  readonly n: number;
  readonly n_pos: number;
  readonly threshold_counts: { readonly thresholds: unknown; readonly tp: unknown; readonly fp: unknown };
  readonly score_histograms: {
    readonly bins: unknown;
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

const sum = (values: readonly number[]): number => values.reduce((a, v) => a + v, 0);

/**
 * Why a report's counts are not on the study's layout, or null when they are: the thresholds must be
 * {@link STUDY_THRESHOLDS} exactly and the histograms have {@link STUDY_HISTOGRAM_BINS} bins; the
 * histograms must hold `n_pos` positives and `n − n_pos` negatives; and the counts at each threshold
 * t = k/100 must be the cumulative histograms from bin 10k on (cases with score ≥ t), as
 * `siteEvaluationCounts` makes them. Never throws, whatever `c` holds.
 *
 * @example
 * studyLayoutProblem({ n: 1, n_pos: 1, threshold_counts: { thresholds: [0.5], tp: [1], fp: [0] }, score_histograms })
 * // 'threshold_counts.thresholds has 1 values; expected the study grid of 99 thresholds 0.01…0.99'
 */
export function studyLayoutProblem(c: StudyLayoutCounts): string | null {
  const { thresholds, tp, fp } = c.threshold_counts;
  const grid = STUDY_THRESHOLDS;
  if (!Array.isArray(thresholds) || thresholds.length !== grid.length) {
    const got = Array.isArray(thresholds) ? `${thresholds.length} values` : typeof thresholds;
    return `threshold_counts.thresholds has ${got}; expected the study grid of ${grid.length} thresholds 0.01…0.99`;
  }
  const off = grid.findIndex((t, i) => thresholds[i] !== t);
  if (off >= 0) {
    return `threshold_counts.thresholds[${off}] is ${JSON.stringify(thresholds[off])}; expected ${grid[off]} (the study grid k/100)`;
  }
  const { bins, positive, negative } = c.score_histograms;
  if (bins !== STUDY_HISTOGRAM_BINS)
    return `score_histograms.bins is ${JSON.stringify(bins)}; expected ${STUDY_HISTOGRAM_BINS}`;
  const problem =
    countsProblem(tp, grid.length, 'threshold_counts.tp') ??
    countsProblem(fp, grid.length, 'threshold_counts.fp') ??
    countsProblem(positive, STUDY_HISTOGRAM_BINS, 'score_histograms.positive') ??
    countsProblem(negative, STUDY_HISTOGRAM_BINS, 'score_histograms.negative');
  if (problem) return problem;
  const [pos, neg, tps, fps] = [positive, negative, tp, fp] as number[][];
  const nNeg = c.n - c.n_pos;
  if (sum(pos!) !== c.n_pos)
    return `score_histograms.positive holds ${sum(pos!)} cases; expected n_pos = ${c.n_pos}`;
  if (sum(neg!) !== nNeg)
    return `score_histograms.negative holds ${sum(neg!)} cases; expected n − n_pos = ${nNeg}`;
  const perThreshold = STUDY_HISTOGRAM_BINS / GRID_STEPS;
  let above = { tp: 0, fp: 0 };
  for (let k = grid.length - 1; k >= 0; k--) {
    // Cases with score ≥ t_k = (k + 1)/100 are those in bins ≥ (k + 1)·10 (site-histograms histogramBin).
    const from = (k + 1) * perThreshold;
    const to = from + perThreshold;
    above = { tp: above.tp + sum(pos!.slice(from, to)), fp: above.fp + sum(neg!.slice(from, to)) };
    if (tps![k] !== above.tp || fps![k] !== above.fp) {
      return `threshold_counts at t = ${grid[k]} are tp ${tps![k]}, fp ${fps![k]}; the histograms give tp ${above.tp}, fp ${above.fp}`;
    }
  }
  return null;
}
