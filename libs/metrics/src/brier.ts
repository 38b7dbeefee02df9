import { checkLabels, checkProbabilities } from './validate';

/**
 * Brier score (G. W. Brier, Monthly Weather Review 78 (1950) 1–3), the mean squared error of
 * predicted probabilities against the 0/1 outcome:
 *
 *   BS = (1/n) Σᵢ (pᵢ − yᵢ)²
 *
 * 0 is perfect; always predicting the prevalence π scores π(1 − π). Needs no negatives or positives in
 * particular, so a single-class site has a Brier score. The sum is compensated (Neumaier). Equals
 * scikit-learn `brier_score_loss(y, p, pos_label=1)`.
 *
 * @returns the score, or `null` for no cases.
 * @throws MetricsInputError on labels other than 0/1 or probabilities outside [0, 1].
 * @example brier([0, 1, 1], [0.1, 0.9, 0.6]) // (0.01 + 0.01 + 0.16) / 3 = 0.06
 */
export function brier(labels: ArrayLike<number>, probs: ArrayLike<number>): number | null {
  checkLabels(labels);
  checkProbabilities(probs, labels.length);
  const n = labels.length;
  if (n === 0) return null;
  let sum = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const d = probs[i]! - labels[i]!;
    const x = d * d;
    const t = sum + x;
    c += sum >= x ? sum - t + x : x - t + sum; // both non-negative
    sum = t;
  }
  return (sum + c) / n;
}
