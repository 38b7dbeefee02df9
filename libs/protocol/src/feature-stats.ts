/**
 * The federated four-feature baseline (issue 6): the coordinator fits the study's logistic model of
 * the labels.csv feature columns by IRLS from each site's sufficient statistics at a given β
 * (`fitFederatedLogistic` of `@fedaln/metrics`), so no case row leaves a site. On the wire the
 * statistics are plain number arrays (k + k² + 2 numbers, aggregates of the site's train split).
 */

/** Server → site: the site's statistics at β (intercept first, then the covariates in study order). */
export interface FeatureStatsRequest {
  study_id: string;
  beta: number[];
}

/** `LogisticSufficientStats` as JSON: information XᵀWX row-major k×k, score Xᵀ(y − μ). */
export interface WireSufficientStats {
  k: number;
  information: number[];
  score: number[];
  deviance: number;
  max_abs_eta: number;
}

/**
 * `stats` is null, with `reason`, when the site cannot take part (no feature columns in labels.csv,
 * or a train row with an unusable feature value); the coordinator then fits without it.
 */
export interface FeatureStatsAccepted {
  stats: WireSufficientStats | null;
  reason?: string;
}

/** The fitted model an evaluate task carries, so the site scores its test split with it. */
export interface FeatureModelPayload {
  covariates: string[];
  /** β, intercept first. */
  coefficients: number[];
  std_errors: number[];
  p: number[];
  /** Sites whose statistics went into the fit. */
  sites: string[];
}
