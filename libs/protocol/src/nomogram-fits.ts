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
