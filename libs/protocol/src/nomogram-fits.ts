/**
 * The post-training fits (issue 15; README "Model selection, recalibration and the combined
 * nomogram"): once a study's last round is evaluated, the coordinator fits the Platt recalibration
 * of the release candidate's DL score and the combined logistic model [DL logit, four features] by
 * federated IRLS on the sites' validation cases (`fitFederatedLogistic` of @fedaln/metrics). A site
 * answers from the scores it computed in that round's evaluate task; only sums over cases leave it
 * (the `WireSufficientStats` of the four-feature baseline). Then every site of the study is told the
 * study is finished, which is when `fedaln-site run --once` exits.
 */
import type { FeatureStatsAccepted } from './feature-stats';

/** Which design a `nomogram:stats` request asks about: [logit p] or [logit p, the four features]. */
export type NomogramFitModel = 'platt' | 'combined';

/** Server → site: sufficient statistics of `model`'s design on the site's validation cases at β. */
export interface NomogramStatsRequest {
  study_id: string;
  /** The round whose global model's validation scores the design uses (the release candidate). */
  round: number;
  model: NomogramFitModel;
  beta: number[];
}

/** Answered as the four-feature baseline is: `stats`, or null with why the site cannot take part. */
export type NomogramStatsAccepted = FeatureStatsAccepted;

/** Server → site, no answer: the study's rounds and post-training fits are over. */
export interface StudyFinishedPayload {
  study_id: string;
  /** Whether a nomogram was fitted (the release of `round` will carry it). */
  nomogram: boolean;
  round: number | null;
}

/**
 * Server → site, after the nomogram is fitted: compare the DL score, the four-feature model and the
 * combined model on the site's test split, scored by the nomogram's round (issue 15). The site answers
 * with aggregates only: the three AUCs and their DeLong covariance matrix (`SiteModelComparison` of
 * @fedaln/metrics, withheld unless each class has ≥ `min_cell_count` cases).
 */
export interface NomogramCompareRequest {
  study_id: string;
  round: number;
  /** The study's four-feature model, β intercept first (`FeatureModelPayload.coefficients`). */
  feature_model: number[];
  /** The nomogram's combined model, β intercept first (`COMBINED_MODEL_TERMS` order). */
  combined: number[];
  min_cell_count: number;
}

/** The three AUCs (dl, features, combined) and their 3 × 3 DeLong covariance on the site's test cases. */
export interface WireModelComparison {
  n: number;
  n_pos: number;
  auc: number[] | null;
  covariance: number[][] | null;
}

/** The comparison, or null with why the site cannot take part (no kept test scores, no feature columns). */
export interface NomogramCompareAccepted {
  comparison: WireModelComparison | null;
  reason?: string;
}
