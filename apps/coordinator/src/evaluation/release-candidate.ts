/**
 * Which round a study should release (issue 15, model selection): the completed round whose global
 * model has the best pooled validation AUC — the sites' reports on cases held out from training,
 * pooled like the test reports (`poolReports`) — not simply the last. The test split stays untouched
 * by the choice, so the release's test metrics are not selected on. Pure.
 */

/** One completed round as the selection sees it. */
export interface RoundValidation {
  readonly round: number;
  /** Pooled validation AUC of the round's model; null when no site sent a usable validation report. */
  readonly pooled_validation_auc: number | null;
  /** |pooled − exact pooled validation AUC| ≤ this (pooled-auc.ts); null with the AUC. */
  readonly auc_error_bound: number | null;
  /** Validation cases pooled, and how many sites sent them. */
  readonly n: number;
  readonly sites: number;
}

export interface ReleaseCandidate {
  readonly round: number;
  readonly pooled_validation_auc: number | null;
  /** `best_validation_auc`, or `last_completed` when no round has a pooled validation AUC. */
  readonly rule: 'best_validation_auc' | 'last_completed';
  /** In words, with the figures it rests on. */
  readonly reason: string;
  /** Every completed round considered, in round order. */
  readonly rounds: readonly RoundValidation[];
}

const fmt = (auc: number): string => auc.toFixed(4);

/**
 * The release candidate among `rounds` (the completed ones): the highest pooled validation AUC, the
 * earliest round on a tie (fewer rounds fitted to the same validation figure); with no validation AUC
 * at all (a study with `validation_fraction` 0, or sites that sent none), the last completed round.
 * Null when no round has completed.
 *
 * @example
 * selectReleaseCandidate([
 *   { round: 1, pooled_validation_auc: 0.71, auc_error_bound: 0, n: 60, sites: 3 },
 *   { round: 2, pooled_validation_auc: 0.68, auc_error_bound: 0, n: 60, sites: 3 },
 * ])?.round; // 1
 */
export function selectReleaseCandidate(rounds: readonly RoundValidation[]): ReleaseCandidate | null {
  const ordered = [...rounds].sort((a, b) => a.round - b.round);
  const last = ordered.at(-1);
  if (!last) return null;
  let best: RoundValidation | null = null;
  for (const r of ordered)
    if (
      r.pooled_validation_auc !== null &&
      (best === null || r.pooled_validation_auc > best.pooled_validation_auc!)
    )
      best = r;
  if (best === null)
    return {
      round: last.round,
      pooled_validation_auc: null,
      rule: 'last_completed',
      reason: `no completed round has a pooled validation AUC (the study holds out no validation split, or no site sent a validation report): round ${last.round}, the last completed`,
      rounds: ordered,
    };
  const auc = best.pooled_validation_auc!;
  const others = ordered.filter((r) => r !== best && r.pooled_validation_auc !== null);
  const runnerUp = others.reduce<RoundValidation | null>(
    (a, r) => (a === null || r.pooled_validation_auc! > a.pooled_validation_auc! ? r : a),
    null,
  );
  const tie = others.some((r) => r.pooled_validation_auc === auc);
  const vs = runnerUp
    ? tie
      ? `; tied with round ${runnerUp.round}: the earliest of the tied rounds`
      : `; next best round ${runnerUp.round} (${fmt(runnerUp.pooled_validation_auc!)})`
    : '';
  const lastNote = best.round === last.round ? '' : `; the last completed round is ${last.round}`;
  return {
    round: best.round,
    pooled_validation_auc: auc,
    rule: 'best_validation_auc',
    reason:
      `round ${best.round} has the best pooled validation AUC, ${fmt(auc)} ` +
      `(± ${fmt(best.auc_error_bound ?? 0)}, ${best.n} validation cases of ${best.sites} sites) ` +
      `of ${ordered.length} completed rounds${vs}${lastNote}`,
    rounds: ordered,
  };
}
