/**
 * The logistic models a simulated study fits beside the network, each with the federated IRLS of
 * @fedaln/metrics (`fitFederatedLogistic` over the sites' sufficient statistics: no row leaves a
 * site, and the fit equals the pooled one):
 * - the four-feature model (size, non-parallel orientation, echogenic halo, spiculation; the
 *   study's traditional model) on the sites' training and validation cases;
 * - Platt recalibration of the network's score: logit P(y=1) = a + b·logit p (Platt, "Probabilistic
 *   outputs for support vector machines", 1999), on validation cases the network did not train on;
 * - the combined model [logit p, four features] on the same validation cases.
 */
import {
  clinicalFeatureRows,
  fitFederatedLogistic,
  logisticPredict,
  logisticSufficientStats,
  MetricsInputError,
  type FeatureCells,
} from '@fedaln/metrics';

/** One site's design rows (no intercept column) and outcomes. */
export interface SiteRows {
  readonly rows: readonly (readonly number[])[];
  readonly y: readonly number[];
}

/** Probabilities are clamped to [ε, 1 − ε] before the logit, so a saturated score stays finite. */
const EPS = 1e-7;

/** logit p, with p clamped to [1e-7, 1 − 1e-7]. @example logit(0.5) // 0 */
export function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

/**
 * The four-feature design rows of cases' labels.csv cells, or null when a case lacks one (a real
 * site folder without feature columns: the feature and combined models are then left out).
 */
export function featureRows(cases: readonly { features: FeatureCells }[]): number[][] | null {
  try {
    return clinicalFeatureRows(cases.map((c) => c.features));
  } catch (err) {
    if (err instanceof MetricsInputError) return null;
    throw err;
  }
}

/**
 * Coefficients (intercept first) of the logistic model fitted across sites, or null where no MLE
 * exists (one class, separation, a singular design) or there are no rows.
 *
 * @example await fitAcrossSites([{ rows: [[0], [1], [2], [3]], y: [0, 1, 0, 1] }]) // [a, b]
 */
export async function fitAcrossSites(sites: readonly SiteRows[]): Promise<number[] | null> {
  const used = sites.filter((s) => s.rows.length > 0);
  const k = (used[0]?.rows[0]?.length ?? -1) + 1;
  if (k < 1) return null;
  const fit = await fitFederatedLogistic(
    (beta) => used.map((s) => logisticSufficientStats(s.rows, s.y, beta)),
    { k },
  );
  return fit.coefficients;
}

/** Predicted probabilities of a fitted model (`logisticPredict`). */
export function predictLogistic(
  rows: readonly (readonly number[])[],
  coefficients: readonly number[],
): number[] {
  return logisticPredict(rows, coefficients);
}

/** Platt rows [logit p] of network scores. */
export const plattRows = (p: ArrayLike<number>): number[][] => Array.from(p, (v) => [logit(v)]);

/** Combined-model rows [logit p, four features]. */
export const combinedRows = (p: ArrayLike<number>, features: readonly (readonly number[])[]): number[][] =>
  features.map((f, i) => [logit(p[i]!), ...f]);
