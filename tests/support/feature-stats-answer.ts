import { logisticSufficientStats } from '@fedaln/metrics';
import type { Ack, FeatureStatsAccepted, FeatureStatsRequest } from '@fedaln/protocol';

/**
 * A site answering `features:stats` from local rows (covariates X without the intercept, outcomes
 * y), as the site client's feature-baseline.ts does: its logistic sufficient statistics at the
 * requested β, as plain arrays for the wire. For coordinator unit tests of the federated fits.
 *
 * @example await answeringFeatureStats({ X: [[12, 0, 0, 0]], y: [1] })({ study_id: 's', beta: [0, 0, 0, 0, 0] });
 */
export const answeringFeatureStats =
  (site: { X: number[][]; y: number[] }) =>
  (req: FeatureStatsRequest): Promise<Ack<FeatureStatsAccepted>> => {
    const s = logisticSufficientStats(site.X, site.y, req.beta);
    return Promise.resolve({
      ok: true as const,
      stats: { ...s, information: Array.from(s.information), score: Array.from(s.score) },
    });
  };
