import { combinedRows, logisticSufficientStats, plattRows, type CovariateRows } from '@fedaln/metrics';
import type { Ack, NomogramStatsAccepted, NomogramStatsRequest } from '@fedaln/protocol';
import type { SiteCase } from '@fedaln/site-data';
import { featureDesign, wireStats } from './feature-baseline';

interface KeptScores {
  readonly labels: readonly (0 | 1)[];
  readonly scores: Float32Array;
  /** The four feature columns of the same cases, or why there are none. */
  readonly features: { rows: number[][] } | { reason: string };
}

/**
 * The DL scores of each evaluated round's validation cases, kept in this process's memory (never on
 * disk, never sent) for the post-training fits (issue 15): the coordinator asks for the Platt and
 * combined designs' sufficient statistics of the release candidate's round after the last round.
 *
 * @example scores.keep(studyId, round, validationCases, validationScores);
 */
export class ValidationScores {
  private readonly byRound = new Map<string, KeptScores>();

  keep(studyId: string, round: number, cases: readonly SiteCase[], scores: Float32Array): void {
    this.byRound.set(`${studyId}/${round}`, {
      labels: cases.map((c) => c.label),
      scores: Float32Array.from(scores),
      features: featureDesign(cases),
    });
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
