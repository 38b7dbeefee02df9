import {
  clinicalFeatureRows,
  hasClinicalFeatures,
  logisticPredict,
  logisticSufficientStats,
  MetricsInputError,
  type LogisticSufficientStats,
} from '@fedaln/metrics';
import { siteImageOpener } from '@fedaln/model';
import {
  CASE_ID_COLUMN,
  CLINICAL_FEATURE_COLUMNS,
  LABELS_FILE,
  readSiteFolder,
  type SiteCase,
} from '@fedaln/site-data';
import type { Ack, FeatureStatsAccepted, FeatureStatsRequest, WireSufficientStats } from '@fedaln/protocol';
import type { SiteData } from '../data/site-data';

/** The feature design (no intercept column) of `cases` ([size_mm, non-parallel, halo, spiculation] per case), or why there is none. */
export function featureDesign(cases: readonly SiteCase[]): { rows: number[][] } | { reason: string } {
  // Every case carries every extra labels.csv column (site-folder.ts), so one case shows the header.
  const columns = Object.keys(cases[0]?.features ?? {});
  if (!hasClinicalFeatures(columns))
    return {
      reason: `${LABELS_FILE} lacks the feature columns ${CLINICAL_FEATURE_COLUMNS.join(', ')} (extra columns: ${columns.join(', ') || 'none'})`,
    };
  try {
    return { rows: clinicalFeatureRows(cases.map((c) => ({ [CASE_ID_COLUMN]: c.caseId, ...c.features }))) };
  } catch (e) {
    if (e instanceof MetricsInputError) return { reason: e.message };
    throw e;
  }
}

/**
 * A site's answer to `features:stats`: the logistic sufficient statistics XᵀWX, Xᵀ(y − μ) and the
 * deviance of its train cases at β (`logisticSufficientStats`), summed over cases, so the
 * coordinator's federated IRLS equals the pooled fit (McCullagh & Nelder §4.4) without any row.
 *
 * @example featureStatsAnswer(trainCases, [0, 0, 0, 0, 0]).stats?.k; // 5
 */
export function featureStatsAnswer(
  trainCases: readonly SiteCase[],
  beta: readonly number[],
): FeatureStatsAccepted {
  const design = featureDesign(trainCases);
  if ('reason' in design) return { stats: null, reason: design.reason };
  if (design.rows.length === 0) return { stats: null, reason: 'the train split is empty' };
  const s = logisticSufficientStats(
    design.rows,
    trainCases.map((c) => c.label),
    beta,
  );
  return { stats: wireStats(s) };
}

/** Sufficient statistics as plain arrays for the wire. @example wireStats(s).information.length // k² */
export function wireStats(s: LogisticSufficientStats): WireSufficientStats {
  return {
    k: s.k,
    information: Array.from(s.information),
    score: Array.from(s.score),
    deviance: s.deviance,
    max_abs_eta: s.max_abs_eta,
  };
}

/**
 * The feature model's probabilities expit(Xβ) on the test cases (`logisticPredict`), the second
 * model of the paired DeLong test, or null (with why) when a test case lacks a usable feature value.
 *
 * @example featureModelScores(testCases, task.feature_model.coefficients);
 */
export function featureModelScores(
  testCases: readonly SiteCase[],
  coefficients: readonly number[],
): { scores: number[] } | { reason: string } {
  const design = featureDesign(testCases);
  if ('reason' in design) return design;
  return { scores: logisticPredict(design.rows, coefficients) };
}

const trainSplits = new WeakMap<SiteData, Promise<SiteCase[]>>();

/**
 * Answers `features:stats` from the site's train split, read once without decoding images at the
 * study size (labels and feature cells are all it needs). A local failure is answered as `stats:
 * null` with its reason, so the coordinator fits without this site rather than waiting.
 *
 * @example socket.on(SiteEvent.featuresStats, (req, ack) => void answerFeatureStats(data, req).then(ack));
 */
export async function answerFeatureStats(
  data: SiteData,
  req: FeatureStatsRequest,
): Promise<Ack<FeatureStatsAccepted>> {
  try {
    let train = trainSplits.get(data);
    if (!train) {
      train = readSiteFolder(data.dir, { seed: data.seed, openImage: siteImageOpener() }).then((f) =>
        f.cases.filter((c) => c.split === 'train'),
      );
      trainSplits.set(data, train);
    }
    if (!Array.isArray(req.beta) || !req.beta.every((b) => typeof b === 'number' && Number.isFinite(b)))
      return { ok: false, code: 'bad_request', message: 'beta must be an array of finite numbers' };
    return { ok: true, ...featureStatsAnswer(await train, req.beta) };
  } catch (e) {
    return { ok: true, stats: null, reason: (e as Error).message };
  }
}
