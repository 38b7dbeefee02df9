import {
  combinedRows,
  logisticPredict,
  logisticSufficientStats,
  MetricsInputError,
  plattRows,
  siteModelComparison,
  type CovariateRows,
} from '@fedaln/metrics';
import type {
  Ack,
  NomogramCompareAccepted,
  NomogramCompareRequest,
  NomogramStatsAccepted,
  NomogramStatsRequest,
} from '@fedaln/protocol';
import type { SiteCase } from '@fedaln/site-data';
import { featureDesign, wireStats } from './feature-baseline';

interface KeptScores {
  readonly labels: readonly (0 | 1)[];
  readonly scores: Float32Array;
  /** The four feature columns of the same cases, or why there are none. */
  readonly features: { rows: number[][] } | { reason: string };
}

const kept = (cases: readonly SiteCase[], scores: Float32Array): KeptScores => ({
  labels: cases.map((c) => c.label),
  scores: Float32Array.from(scores),
  features: featureDesign(cases),
});

/**
 * The DL scores of each evaluated round's validation and test cases, kept in this process's memory
 * (never on disk, never sent) for the post-training phase (issue 15): the coordinator asks for the
 * Platt and combined designs' sufficient statistics on the validation cases of the release candidate's
 * round after the last round, then for the comparison of DL, four-feature and combined models on the
 * test cases.
 *
 * @example scores.keep(studyId, round, validationCases, validationScores, testCases, testScores);
 */
export class ValidationScores {
  private readonly byRound = new Map<string, KeptScores>();
  private readonly testByRound = new Map<string, KeptScores>();

  keep(
    studyId: string,
    round: number,
    cases: readonly SiteCase[],
    scores: Float32Array,
    testCases: readonly SiteCase[] = [],
    testScores: Float32Array = new Float32Array(0),
  ): void {
    this.byRound.set(`${studyId}/${round}`, kept(cases, scores));
    if (testCases.length > 0) this.testByRound.set(`${studyId}/${round}`, kept(testCases, testScores));
  }

  /**
   * The answer to `nomogram:compare`: the three AUCs (DL, four-feature model, combined model) and their
   * DeLong covariance matrix on the kept test cases of the request's round (`siteModelComparison`,
   * withheld unless each class has at least `min_cell_count` cases), or `comparison: null` with why.
   *
   * @example scores.compare({ study_id, round: 2, feature_model, combined, min_cell_count: 5 }).comparison?.auc;
   */
  compare(req: NomogramCompareRequest): Ack<NomogramCompareAccepted> {
    const sizes: [string, unknown, number][] = [
      ['feature_model', req.feature_model, 5],
      ['combined', req.combined, 6],
    ];
    for (const [field, v, n] of sizes)
      if (!Array.isArray(v) || v.length !== n || !v.every((b) => typeof b === 'number' && Number.isFinite(b)))
        return { ok: false, code: 'bad_request', message: `${field} must be ${n} finite coefficients` };
    if (!Number.isInteger(req.min_cell_count) || req.min_cell_count < 1)
      return {
        ok: false,
        code: 'bad_request',
        message: `min_cell_count is ${JSON.stringify(req.min_cell_count)}; expected a positive integer`,
      };
    const test = this.testByRound.get(`${req.study_id}/${req.round}`);
    if (!test)
      return {
        ok: true,
        comparison: null,
        reason: `no test scores of study ${req.study_id} round ${req.round} in this run (the site evaluated it in another run)`,
      };
    if ('reason' in test.features) return { ok: true, comparison: null, reason: test.features.reason };
    try {
      const comparison = siteModelComparison(
        test.labels,
        {
          dl: test.scores,
          features: logisticPredict(test.features.rows, req.feature_model),
          combined: logisticPredict(combinedRows(test.scores, test.features.rows), req.combined),
        },
        req.min_cell_count,
      );
      return { ok: true, comparison };
    } catch (e) {
      if (e instanceof MetricsInputError) return { ok: true, comparison: null, reason: e.message };
      throw e;
    }
  }

  /**
   * The answer to `nomogram:stats`: XᵀWX, Xᵀ(y − μ) and the deviance at β of the request's design on
   * the kept validation cases, or `stats: null` with why (no scores of that round in this run, no
   * feature columns for the combined model).
   *
   * @example scores.answer({ study_id, round: 2, model: 'platt', beta: [0, 0] }).stats?.k; // 2
   */
  answer(req: NomogramStatsRequest): Ack<NomogramStatsAccepted> {
    const k = req.model === 'platt' ? 2 : 6;
    if (
      !Array.isArray(req.beta) ||
      req.beta.length !== k ||
      !req.beta.every((b) => typeof b === 'number' && Number.isFinite(b))
    )
      return {
        ok: false,
        code: 'bad_request',
        message: `beta must be ${k} finite numbers for the ${req.model} model`,
      };
    const kept = this.byRound.get(`${req.study_id}/${req.round}`);
    if (!kept)
      return {
        ok: true,
        stats: null,
        reason: `no validation scores of study ${req.study_id} round ${req.round} in this run (the site evaluated it in another run, or holds out no validation cases)`,
      };
    let rows: CovariateRows;
    if (req.model === 'platt') rows = plattRows(kept.scores);
    else if ('reason' in kept.features) return { ok: true, stats: null, reason: kept.features.reason };
    else rows = combinedRows(kept.scores, kept.features.rows);
    return { ok: true, stats: wireStats(logisticSufficientStats(rows, kept.labels, req.beta)) };
  }
}
