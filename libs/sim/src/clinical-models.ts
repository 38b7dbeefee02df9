/**
 * The logistic models a simulated study fits beside the network, each with the federated IRLS of
 * @fedaln/metrics (`fitFederatedLogistic` over the sites' sufficient statistics: no row leaves a
 * site, and the fit equals the pooled one):
 * - the four-feature model (size, non-parallel orientation, echogenic halo, spiculation; the
 *   study's traditional model) on the sites' training and validation cases;
 * - recalibration of the network's score on validation cases the network did not train on, as much
 *   as they support: the original score, recalibration in the large, or Platt's logistic
 *   recalibration logit P(y=1) = a + b·logit p, chosen by closed testing (`recalibrationByClosedTest`);
 * - the combined model [logit p, four features] on the same validation cases, as the four-feature
 *   model extended by the network's logit (`fitFeatureModelExtension`: the feature model's linear
 *   predictor as an offset; only the intercept shift and the network's weight estimated).
 * Both are @fedaln/metrics model-updating.ts, as the coordinator's nomogram fits.
 */
import {
  clinicalFeatureRows,
  fitFeatureModelExtension,
  fitFederatedLogistic,
  logisticPredict,
  logisticSufficientStats,
  MetricsInputError,
  recalibrationByClosedTest,
  type FeatureCells,
  type RecalibrationChoice,
  type SufficientStatsSource,
} from '@fedaln/metrics';

/** One site's design rows (no intercept column) and outcomes. */
export interface SiteRows {
  readonly rows: readonly (readonly number[])[];
  readonly y: readonly number[];
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

/** The statistics source of sites' rows, for the federated fits of @fedaln/metrics. */
const statsOf =
  (sites: readonly SiteRows[]): SufficientStatsSource =>
  (beta) =>
    sites.filter((s) => s.rows.length > 0).map((s) => logisticSufficientStats(s.rows, s.y, beta));

/**
 * The recalibration of the network's score across sites' Platt rows ([logit p] on validation cases),
 * chosen by closed testing; null where it cannot be fitted (one class, separation, no rows).
 * @example (await recalibrateAcrossSites([{ rows: plattRows(p), y }]))?.coefficients // [a, b]
 */
export async function recalibrateAcrossSites(
  sites: readonly SiteRows[],
): Promise<RecalibrationChoice | null> {
  if (!sites.some((s) => s.rows.length > 0)) return null;
  return recalibrationByClosedTest(statsOf(sites));
}

/**
 * The combined model's six coefficients [1, logit p, four features] across sites' combined rows, as
 * `featureModel` extended by the network's logit; null where it cannot be fitted.
 * @example await extendAcrossSites([{ rows: combinedRows(p, features), y }], featureModel)
 */
export async function extendAcrossSites(
  sites: readonly SiteRows[],
  featureModel: readonly number[],
): Promise<number[] | null> {
  if (!sites.some((s) => s.rows.length > 0)) return null;
  return (await fitFeatureModelExtension(statsOf(sites), featureModel)).coefficients;
}

/** Predicted probabilities of a fitted model (`logisticPredict`). */
export function predictLogistic(
  rows: readonly (readonly number[])[],
  coefficients: readonly number[],
): number[] {
  return logisticPredict(rows, coefficients);
}
