/**
 * Scores a trained strategy on every training site's test split and on the external sites, and
 * fits what ships beside the network (clinical-models.ts): per model group, the recalibration chosen
 * by closed testing and the combined [DL logit + four features] model (the four-feature model
 * extended by the DL logit) on the group's validation cases; the four-feature model is the run's,
 * fitted once on the sites' training and validation cases.
 */
// The Platt and combined rows are those a site client builds (@fedaln/metrics nomogram.ts, its clamp of p).
import { combinedRows, plattRows, type RecalibrationChoice } from '@fedaln/metrics';
import {
  extendAcrossSites,
  featureRows,
  predictLogistic,
  recalibrateAcrossSites,
  type SiteRows,
} from './clinical-models';
import {
  calibrationBins,
  type CalibrationBins,
  type DecisionCurvePoints,
  decisionCurvePoints,
  rocPoints,
  type RocPoints,
} from './report-curves';
import { type AucDifference, compareAucs, type ScoreSummary, summariseScores } from './score-summary';
import { labelsOf, type SimCase, type SimCohort } from './sim-cohort';
import type { SimNetwork } from './sim-network';
import type { ModelGroup, StrategyModels } from './train-strategy';

/** One set of cases scored by the network (raw and recalibrated), the feature and the combined model. */
export interface EvaluatedSet {
  dl: ScoreSummary;
  dl_recalibrated: ScoreSummary;
  features: ScoreSummary | null;
  combined: ScoreSummary | null;
  dl_vs_features: AucDifference | null;
  combined_vs_features: AucDifference | null;
}

export interface SetCurves {
  roc: { dl: RocPoints | null; features: RocPoints | null; combined: RocPoints | null };
  /** Reliability of the recalibrated network score. */
  calibration: CalibrationBins;
  decision: {
    dl: DecisionCurvePoints;
    features: DecisionCurvePoints | null;
    combined: DecisionCurvePoints | null;
  };
}

export interface StrategyEvaluation {
  sites: ({ site: string } & EvaluatedSet)[];
  pooled_test: EvaluatedSet;
  /**
   * The network on the sites' validation cases pooled (each site's own model): what a study may tune
   * its settings on, as neither the test splits nor the external sites should be.
   */
  pooled_validation: { auc: number | null; auc_ci: [number, number] | null };
  /** The external sites pooled, scored by the group whose network discriminates best (the only one unless local-only). */
  external: { model: string } & EvaluatedSet;
  /**
   * Every group's network AUC on the external sites (one entry unless local-only); where external
   * sites adapt the model by AdaBN, `unadapted_auc` is the release's AUC as shipped (else null).
   */
  external_by_model: {
    model: string;
    auc: number | null;
    auc_ci: [number, number] | null;
    unadapted_auc: number | null;
  }[];
  external_curves: SetCurves;
  /**
   * Per model group (as `external_by_model`), how its score was recalibrated: the closed test's
   * choice, coefficients and likelihood-ratio tests (null where it could not be fitted).
   */
  recalibration: { model: string; choice: RecalibrationChoice | null }[];
}

/** Scores of cases: raw network, recalibrated, feature model, combined model. */
interface Scored {
  labels: (0 | 1)[];
  dl: Float32Array | number[];
  recalibrated: number[];
  features: number[] | null;
  combined: number[] | null;
}

function evaluated(s: Scored): EvaluatedSet {
  const { labels } = s;
  return {
    dl: summariseScores(labels, s.dl),
    dl_recalibrated: summariseScores(labels, s.recalibrated),
    features: s.features && summariseScores(labels, s.features),
    combined: s.combined && summariseScores(labels, s.combined),
    dl_vs_features: s.features && compareAucs(labels, s.dl, s.features),
    combined_vs_features: s.features && s.combined && compareAucs(labels, s.combined, s.features),
  };
}

function curves(s: Scored): SetCurves {
  return {
    roc: {
      dl: rocPoints(s.labels, s.dl),
      features: s.features && rocPoints(s.labels, s.features),
      combined: s.combined && rocPoints(s.labels, s.combined),
    },
    calibration: calibrationBins(s.labels, s.recalibrated),
    decision: {
      dl: decisionCurvePoints(s.labels, s.recalibrated),
      features: s.features && decisionCurvePoints(s.labels, s.features),
      combined: s.combined && decisionCurvePoints(s.labels, s.combined),
    },
  };
}

const concat = (parts: readonly Scored[]): Scored => ({
  labels: parts.flatMap((p) => p.labels),
  dl: parts.flatMap((p) => Array.from(p.dl)),
  recalibrated: parts.flatMap((p) => p.recalibrated),
  features: parts.every((p) => p.features) ? parts.flatMap((p) => p.features!) : null,
  combined: parts.every((p) => p.combined) ? parts.flatMap((p) => p.combined!) : null,
});

/** What a group ships: its recalibration and combined coefficients (null where they could not be fitted). */
interface Shipped {
  platt: number[] | null;
  combined: number[] | null;
}

function score(
  cases: readonly SimCase[],
  dl: Float32Array,
  shipped: Shipped,
  featureModel: number[] | null,
): Scored {
  const rows = featureModel && featureRows(cases);
  const recalibrated = shipped.platt ? predictLogistic(plattRows(dl), shipped.platt) : Array.from(dl);
  return {
    labels: labelsOf(cases),
    dl,
    recalibrated,
    features: rows && predictLogistic(rows, featureModel!),
    combined: rows && shipped.combined && predictLogistic(combinedRows(dl, rows), shipped.combined),
  };
}

/**
 * @example const evaluation = await evaluateStrategy(network, cohort, models, featureModel);
 */
export async function evaluateStrategy(
  network: SimNetwork,
  cohort: SimCohort,
  models: StrategyModels,
  featureModel: number[] | null,
): Promise<StrategyEvaluation> {
  const siteScores: Scored[] = [];
  const external: { group: ModelGroup; scored: Scored; unadapted: number | null }[] = [];
  const recalibration: StrategyEvaluation['recalibration'] = [];
  const validation: { labels: (0 | 1)[]; p: number[] } = { labels: [], p: [] };
  for (const group of models.groups) {
    // Fit the group's recalibration and combined model on its sites' validation cases.
    const platt: SiteRows[] = [];
    const combined: SiteRows[] = [];
    for (const k of group.sites) {
      const val = cohort.sites[k]!.validation;
      const p = await network.predict(models.site[k]!, val);
      validation.labels.push(...labelsOf(val));
      validation.p.push(...p);
      platt.push({ rows: plattRows(p), y: labelsOf(val) });
      const rows = featureModel && featureRows(val);
      if (rows) combined.push({ rows: combinedRows(p, rows), y: labelsOf(val) });
    }
    const choice = await recalibrateAcrossSites(platt);
    recalibration.push({ model: group.name, choice });
    const shipped: Shipped = {
      platt: choice?.coefficients ?? null,
      combined:
        featureModel && combined.length === group.sites.length
          ? await extendAcrossSites(combined, featureModel)
          : null,
    };
    for (const k of group.sites) {
      const test = cohort.sites[k]!.test;
      siteScores[k] = score(test, await network.predict(models.site[k]!, test), shipped, featureModel);
    }
    const parts: Scored[] = [];
    const asShipped: number[] = [];
    for (const site of cohort.external) {
      const weights = await group.external(site);
      parts.push(score(site.cases, await network.predict(weights, site.cases), shipped, featureModel));
      if (group.adapted) asShipped.push(...(await network.predict(group.release, site.cases)));
    }
    const scored = concat(parts);
    const unadapted = group.adapted ? summariseScores(scored.labels, asShipped).auc : null;
    external.push({ group, scored, unadapted });
  }
  const byModel = external.map(({ group, scored, unadapted }) => {
    const s = summariseScores(scored.labels, scored.dl);
    return { model: group.name, auc: s.auc, auc_ci: s.auc_ci, unadapted_auc: unadapted };
  });
  const val = summariseScores(validation.labels, validation.p);
  const best = byModel.reduce((b, m, i) => ((m.auc ?? -1) > (byModel[b]!.auc ?? -1) ? i : b), 0);
  const headline = external[best]!;
  return {
    sites: siteScores.map((s, k) => ({ site: cohort.sites[k]!.name, ...evaluated(s) })),
    pooled_test: evaluated(concat(siteScores)),
    pooled_validation: { auc: val.auc, auc_ci: val.auc_ci },
    external: { model: headline.group.name, ...evaluated(headline.scored) },
    external_by_model: byModel,
    external_curves: curves(headline.scored),
    recalibration,
  };
}
