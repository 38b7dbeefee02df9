/**
 * What a simulated study reports of one model's scores on one set of cases: discrimination (AUC
 * with DeLong's 95 % CI), calibration (intercept and slope) and the decision curve's range of risk
 * thresholds with net benefit over treat-all and treat-none, all from @fedaln/metrics.
 */
import { calibration, decisionCurve, delong, pairedDelong } from '@fedaln/metrics';

export interface ScoreSummary {
  n: number;
  n_pos: number;
  auc: number | null;
  auc_ci: [number, number] | null;
  /** Calibration-in-the-large (ideal 0). */
  calibration_intercept: number | null;
  /** Calibration slope (ideal 1; below 1: predictions too extreme, above 1: squashed together). */
  calibration_slope: number | null;
  /** The longest run of thresholds (0.01 grid) where the model beats treat-all and treat-none. */
  net_benefit_range: [number, number] | null;
}

/** A paired DeLong comparison of two models on the same cases: AUC a − AUC b and its two-sided p. */
export interface AucDifference {
  difference: number;
  p: number;
}

/**
 * @example summariseScores([0, 1, 0, 1], [0.2, 0.7, 0.4, 0.9]).auc // 1
 */
export function summariseScores(labels: readonly number[], probabilities: ArrayLike<number>): ScoreSummary {
  const d = delong(labels, probabilities);
  const c = calibration(labels, probabilities);
  return {
    n: labels.length,
    n_pos: labels.filter((y) => y === 1).length,
    auc: d?.auc ?? null,
    auc_ci: d?.ci ?? null,
    calibration_intercept: c.intercept,
    calibration_slope: c.slope,
    net_benefit_range: decisionCurve(labels, probabilities).range,
  };
}

/**
 * DeLong's paired test of model a against model b (`pairedDelong`); null when a class has < 2 cases.
 * @example compareAucs(labels, dlScores, featureScores) // { difference: 0.05, p: 0.01 }
 */
export function compareAucs(
  labels: readonly number[],
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): AucDifference | null {
  const t = pairedDelong(labels, a, b);
  return t === null ? null : { difference: t.auc_a - t.auc_b, p: t.p };
}
