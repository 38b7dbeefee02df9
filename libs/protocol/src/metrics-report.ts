/** A number as JSON carries it: NaN and ±∞ travel as null. */
type JsonNumber = number | null;

/**
 * The aggregate metrics a site reports for one model on its test split (DESIGN.md "Evaluation and
 * release"), field for field the `MetricsReport` of `@fedaln/metrics` minus its `roc` curve, plus the
 * counts the coordinator pools. Everything is a count, a summary statistic or a histogram. The ROC
 * curve is left out on purpose: its thresholds are the distinct predicted scores, i.e. per-case data;
 * pooled curves come from `threshold_counts` on the fixed grid instead.
 */
export interface SiteMetricsReport {
  n: number;
  n_pos: number;
  prevalence: JsonNumber;
  auc: JsonNumber;
  /** DeLong variance of the AUC, and the 95% CI it gives. */
  delong_var: JsonNumber;
  auc_ci: [number, number] | null;
  paired: { auc_b: JsonNumber; delong_var_b: JsonNumber; z: JsonNumber; p: JsonNumber } | null;
  youden: { threshold: JsonNumber; sensitivity: number; specificity: number; j: number } | null;
  brier: JsonNumber;
  calibration: { intercept: JsonNumber; slope: JsonNumber; intercept_joint: JsonNumber };
  /** Net benefit of the model and of treat-all at each threshold (treat-none is 0). */
  dca: {
    thresholds: number[];
    net_benefit: number[];
    treat_all: number[];
    range: [number, number] | null;
    runs: [number, number][];
  } | null;
  /** Per threshold of the study grid (0.01…0.99): cases with score ≥ threshold, by outcome. */
  threshold_counts: { thresholds: number[]; tp: number[]; fp: number[] };
  /** Per-class counts of scores in `bins` equal-width bins of [0, 1]. */
  score_histograms: { bins: number; positive: number[]; negative: number[] };
}

/** Payload of `metrics:report`: which model was evaluated, and the report. */
export interface MetricsReportPayload {
  study_id: string;
  round: number;
  model_version: number;
  model_sha256: string;
  report: SiteMetricsReport;
}
