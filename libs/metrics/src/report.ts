import { auc } from './auc';
import { brier } from './brier';
import { calibration, type Calibration } from './calibration';
import { decisionCurve, type DecisionCurve } from './decision-curve';
import { delong } from './delong';
import { pairedDelong } from './paired-delong';
import { rocCurve } from './roc';
import { checkLabels, checkProbabilities, countPositives } from './validate';
import { youden } from './youden';

/** A number as JSON can carry it: ±Infinity and NaN become null. */
type JsonNumber = number | null;

/**
 * Everything a site reports about one model on its held-out cases. The object is already in JSON
 * form: `JSON.parse(JSON.stringify(r))` deep-equals `r`.
 *
 * Null conventions: a value that is undefined for the data is `null`, never an error — a single-class
 * input has `auc`, `delong_var`, `auc_ci`, `roc`, `youden`, `calibration.*` and `paired.*` null, but
 * still n, prevalence, Brier and a decision curve. A compound value that is undefined as a whole is
 * `null` itself, not an array or object of nulls: `auc_ci` is `null` (never `[null, null]`), and so
 * are `roc` and `youden`. `paired` is null exactly when no `scores_b` was given; with `scores_b`
 * its fields are individually null when undefined. Infinite numbers are written as null: ROC's
 * first threshold (+∞, nobody called positive), a Youden threshold of +∞, and a paired z of ±∞.
 */
export interface MetricsReport {
  n: number;
  n_pos: number;
  prevalence: JsonNumber;
  auc: JsonNumber;
  delong_var: JsonNumber;
  auc_ci: [number, number] | null;
  paired: { auc_b: JsonNumber; delong_var_b: JsonNumber; z: JsonNumber; p: JsonNumber } | null;
  roc: { thresholds: JsonNumber[]; fpr: number[]; tpr: number[] } | null;
  youden: { threshold: JsonNumber; sensitivity: number; specificity: number; j: number } | null;
  brier: JsonNumber;
  calibration: Calibration;
  dca: DecisionCurve | null;
}

export interface MetricsReportInput {
  /** 0/1 outcomes, 1 = ALN metastasis. */
  labels: ArrayLike<number>;
  /** The model's predicted probabilities. */
  scores: ArrayLike<number>;
  /** A second model's probabilities on the same cases, for the paired DeLong test. */
  scores_b?: ArrayLike<number>;
}

const finite = (x: number | null | undefined): JsonNumber =>
  x !== null && x !== undefined && Number.isFinite(x) ? x : null;

/**
 * The per-site evaluation of DESIGN.md "Evaluation and release": AUC with DeLong variance and 95% CI
 * (DeLong et al. 1988), optional paired DeLong test against `scores_b`, ROC curve, Youden point,
 * Brier score, logistic recalibration (intercept and slope) and the decision curve at 0.01…0.99
 * (Vickers & Elkin 2006). See {@link MetricsReport} for where values are null.
 *
 * @example
 * const r = metricsReport({ labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8] });
 * r.auc; // 0.75
 * r.roc?.thresholds[0]; // null (+∞)
 */
export function metricsReport(input: MetricsReportInput): MetricsReport {
  const { labels, scores, scores_b } = input;
  checkLabels(labels);
  checkProbabilities(scores, labels.length, 'scores');
  if (scores_b !== undefined) checkProbabilities(scores_b, labels.length, 'scores_b');
  const n = labels.length;
  const n_pos = countPositives(labels);

  const d = delong(labels, scores);
  let paired: MetricsReport['paired'] = null;
  if (scores_b !== undefined) {
    const test = pairedDelong(labels, scores, scores_b);
    paired = {
      auc_b: finite(auc(labels, scores_b)),
      delong_var_b: finite(delong(labels, scores_b)?.variance),
      z: finite(test?.z),
      p: finite(test?.p),
    };
  }
  const roc = rocCurve(labels, scores);
  const y = youden(labels, scores);
  return {
    n,
    n_pos,
    prevalence: n > 0 ? n_pos / n : null,
    auc: finite(d?.auc),
    delong_var: finite(d?.variance),
    auc_ci: d?.ci ? [d.ci[0], d.ci[1]] : null,
    paired,
    roc: roc && { thresholds: roc.thresholds.map(finite), fpr: roc.fpr, tpr: roc.tpr },
    youden: y && {
      threshold: finite(y.threshold),
      sensitivity: y.sensitivity,
      specificity: y.specificity,
      j: y.j,
    },
    brier: finite(brier(labels, scores)),
    calibration: calibration(labels, scores),
    dca: n > 0 ? decisionCurve(labels, scores) : null,
  };
}
