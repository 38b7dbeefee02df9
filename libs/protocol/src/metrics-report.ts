/** A number as JSON carries it: NaN and ±∞ travel as null. */
type JsonNumber = number | null;

/**
 * The aggregate metrics a site reports for one model on its test split (DESIGN.md "Evaluation and
 * release"), field for field the `ReleasedReport` of `@fedaln/metrics` (released-report.ts: what each
 * field is and why it is not per-case data). Every count obeys the privacy rule: 0 or at least k cases
 * of a class (privacy-rule.ts). The ROC curve is left out on purpose: its thresholds are the distinct
 * predicted scores, i.e. per-case data; pooled curves come from the merged histograms instead.
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
  /** At the inner edges of the merged histogram bins (grid points k/100): cases with score ≥ threshold, by outcome. */
  threshold_counts: { thresholds: number[]; tp: number[]; fp: number[] };
  /**
   * Per-class counts in merged bins: bin j holds scores in [edges[j]/bins, edges[j+1]/bins), bins = 100;
   * each count 0 or ≥ k (or one bin holding everything).
   */
  score_histograms: { bins: number; edges: number[]; positive: number[]; negative: number[] };
}

/** Payload of `metrics:report`: which model was evaluated, and the report. */
export interface MetricsReportPayload {
  study_id: string;
  round: number;
  model_version: number;
  model_sha256: string;
  report: SiteMetricsReport;
  /**
   * The same report on the site's validation cases (held out from training, `TaskPayload.validation_fraction`),
   * under the same privacy rule; it selects the release candidate. Absent when the task has no validation split.
   */
  validation?: SiteMetricsReport;
}
