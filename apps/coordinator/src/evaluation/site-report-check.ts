/**
 * A site's evaluation report checked against the study (issue 13): every summary field typed and in
 * range, the counts on the study's one layout (`studyLayoutProblem` of @fedaln/metrics: histograms
 * merged from the 0.01 grid cells, adding up to n and n_pos, threshold counts at their inner edges),
 * and (issue 14) the privacy rule with the study's k (`releasedReportProblem`: every count 0 or ≥ k
 * cases of a class, summaries withheld for a class under k, Youden and the decision curve from the
 * released counts only). The intake refuses a report with a problem; the evaluation leaves a stored
 * one out, so one bad report can neither fail a round's metrics nor a release, and a site client
 * that leaks finer data by mistake has it refused before it is stored or shown. Pure; never throws,
 * whatever it is given.
 */
import {
  DEFAULT_MIN_CELL_COUNT,
  releasedReportProblem,
  STUDY_THRESHOLDS,
  studyLayoutProblem,
  type ReleasedReportFields,
  type StudyLayoutCounts,
} from '@fedaln/metrics';

/** A check of one value: null when it is fine, else what is wrong with `field`. */
type Check = (v: unknown, field: string) => string | null;

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

const number =
  (lo: number, hi: number, what = `a number in [${lo}, ${hi}]`): Check =>
  (v, field) =>
    typeof v === 'number' && v >= lo && v <= hi ? null : `${field} is ${show(v)}; expected ${what}`;

const PROBABILITY = number(0, 1);
const FINITE = number(-Number.MAX_VALUE, Number.MAX_VALUE, 'a finite number');
const NON_NEGATIVE = number(0, Number.MAX_VALUE, 'a finite number ≥ 0');
const COUNT: Check = (v, field) =>
  Number.isSafeInteger(v) && (v as number) >= 0
    ? null
    : `${field} is ${show(v)}; expected a non-negative integer`;

const nullable =
  (check: Check): Check =>
  (v, field) =>
    v === null ? null : check(v, field);

const object =
  (fields: Readonly<Record<string, Check>>): Check =>
  (v, field) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return `${field} is ${show(v)}; expected an object`;
    for (const [key, check] of Object.entries(fields)) {
      const problem = check((v as Record<string, unknown>)[key], `${field}.${key}`);
      if (problem) return problem;
    }
    return null;
  };

const array =
  (each: Check, length: { min: number; max: number }): Check =>
  (v, field) => {
    if (!Array.isArray(v) || v.length < length.min || v.length > length.max) {
      const got = Array.isArray(v) ? `${v.length} values` : show(v);
      const want = length.min === length.max ? `${length.min}` : `${length.min} to ${length.max}`;
      return `${field} has ${got}; expected ${want} values`;
    }
    for (let i = 0; i < v.length; i++) {
      const problem = each(v[i], `${field}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };

/** [lo, hi] with lo ≤ hi, both in [0, 1]. */
const INTERVAL: Check = (v, field) =>
  array(PROBABILITY, { min: 2, max: 2 })(v, field) ??
  ((v as number[])[0]! <= (v as number[])[1]!
    ? null
    : `${field} is ${show(v)}; expected [lo, hi] with lo ≤ hi`);

const GRID = STUDY_THRESHOLDS.length;
const ON_GRID: Check = (v, field) =>
  array(FINITE, { min: GRID, max: GRID })(v, field) ??
  ((v as number[]).every((t, i) => t === STUDY_THRESHOLDS[i])
    ? null
    : `${field} is not the study grid; expected the ${GRID} thresholds k/100, 0.01…0.99`);

/** Anything array-like up to a bound: the layout check reads these exactly (studyLayoutProblem). */
const ANY: Check = () => null;

const REPORT = object({
  n: COUNT,
  n_pos: COUNT,
  prevalence: nullable(PROBABILITY),
  auc: nullable(PROBABILITY),
  delong_var: nullable(NON_NEGATIVE),
  auc_ci: nullable(INTERVAL),
  paired: nullable(
    object({
      auc_b: nullable(PROBABILITY),
      delong_var_b: nullable(NON_NEGATIVE),
      z: nullable(FINITE),
      p: nullable(PROBABILITY),
    }),
  ),
  youden: nullable(
    object({
      threshold: nullable(PROBABILITY),
      sensitivity: PROBABILITY,
      specificity: PROBABILITY,
      j: number(-1, 1),
    }),
  ),
  brier: nullable(PROBABILITY),
  calibration: object({
    intercept: nullable(FINITE),
    slope: nullable(FINITE),
    intercept_joint: nullable(FINITE),
  }),
  dca: nullable(
    object({
      thresholds: ON_GRID,
      net_benefit: array(FINITE, { min: GRID, max: GRID }),
      treat_all: array(FINITE, { min: GRID, max: GRID }),
      range: nullable(INTERVAL),
      runs: array(INTERVAL, { min: 0, max: GRID }),
    }),
  ),
  threshold_counts: object({ thresholds: ANY, tp: ANY, fp: ANY }),
  score_histograms: object({ bins: ANY, edges: ANY, positive: ANY, negative: ANY }),
});

/**
 * What is wrong with a site's report, or null when it is fit to store, show and pool. `report` may be
 * anything (a payload, a stored JSON file); `k` is the study's privacy rule k; `field` names it in the
 * messages (`validation`: the report on a site's validation cases, issue 15).
 *
 * @example
 * siteReportProblem({ ...report, auc: 1.7 }); // 'report.auc is 1.7; expected a number in [0, 1]'
 * siteReportProblem(siteMetricsReport(labels, scores)); // null
 */
export function siteReportProblem(
  report: unknown,
  k: number = DEFAULT_MIN_CELL_COUNT,
  field: 'report' | 'validation' = 'report',
): string | null {
  const problem = REPORT(report, field);
  if (problem) return problem;
  const r = report as StudyLayoutCounts;
  if (r.n_pos > r.n) return `${field}.n_pos is ${r.n_pos}; expected at most n = ${r.n}`;
  const layout = studyLayoutProblem(r);
  if (layout) return `${field}.${layout}`;
  const privacy = releasedReportProblem(report as ReleasedReportFields, k);
  return privacy && `${field}.${privacy}`;
}
