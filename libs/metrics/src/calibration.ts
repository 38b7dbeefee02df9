import { fitLogistic } from './logistic';
import { checkLabels, checkProbabilities } from './validate';

/** Logistic recalibration of predicted probabilities; null where the MLE does not exist. */
export interface Calibration {
  /** Calibration-in-the-large: a in logit P(y=1) = a + logit p (slope fixed at 1). Ideal 0. */
  intercept: number | null;
  /** Calibration slope: b in logit P(y=1) = a + b·logit p. Ideal 1; below 1 means overfitting. */
  slope: number | null;
  /** a of that joint fit. */
  intercept_joint: number | null;
}

/**
 * Logistic recalibration (Cox 1958; Van Calster et al., J Clin Epidemiol 74:167, 2016):
 * maximum-likelihood fits of logit P(y=1) = a + b·logit(p).
 * - `intercept`: a with b fixed at 1, i.e. `glm(y ~ 1, offset = qlogis(p), family = binomial)`;
 * - `slope`, `intercept_joint`: b and a of `glm(y ~ qlogis(p), family = binomial)`.
 *
 * Cases with p exactly 0 or 1 have an infinite logit and are dropped (R's glm cannot fit them
 * either). Each value is null where its MLE does not exist: one class (all three), p separating
 * the classes or a constant p (slope and intercept_joint; calibration-in-the-large still exists).
 *
 * @example
 * calibration([0, 1, 0, 1, 1], [0.2, 0.3, 0.45, 0.6, 0.8]);
 * // { intercept: 0.63848, slope: 1.65249, intercept_joint: 0.89572 } as R's glm gives
 */
export function calibration(labels: ArrayLike<number>, probs: ArrayLike<number>): Calibration {
  checkLabels(labels);
  checkProbabilities(probs, labels.length);
  const y: number[] = [];
  const logit: number[][] = [];
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p === 0 || p === 1) continue;
    y.push(labels[i]!);
    logit.push([Math.log(p / (1 - p))]);
  }
  // fitLogistic takes its row count from the covariate rows, so the offset-only fit gets n empty rows.
  const inLarge =
    y.length === 0
      ? null
      : fitLogistic(
          logit.map(() => []),
          y,
          { offset: logit.map((r) => r[0]!) },
        );
  const joint = y.length === 0 ? null : fitLogistic(logit, y);
  return {
    intercept: inLarge?.coefficients?.[0] ?? null,
    slope: joint?.coefficients?.[1] ?? null,
    intercept_joint: joint?.coefficients?.[0] ?? null,
  };
}
