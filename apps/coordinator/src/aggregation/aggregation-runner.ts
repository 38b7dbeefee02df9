import { crashPoint } from '../config/crash-point';
import type { Participant, Round } from '../domain/records';
import { effectOf, type RoundChange } from '../rounds/round-changes';
import type { RoundsService } from '../rounds/rounds.service';
import type { RoundAggregator } from './round-aggregator';
import { QuorumLostToScreening } from './screened-round';
import { SecureSessionLost } from '../secure-aggregation/secure-session-lost';

export interface AggregationLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Runs a round's aggregation when a change asks for it (`aggregate`), off the round service's
 * per-study lock (it ends by telling `RoundsService.aggregationDone` or `aggregationFailed`, which
 * take that lock, or `quorumLost` when screening kept too few updates), and forgets a study's accumulator when its round fails.
 *
 * @example
 * changes.subscribe((c) => runner.onChange(c));
 * runner.start(round, uploads); // at start, for a round that was aggregating when the coordinator died
 */
export class AggregationRunner {
  constructor(
    private readonly aggregator: RoundAggregator,
    private readonly rounds: RoundsService,
    private readonly log: AggregationLog,
    /** Test hook (FEDALN_TEST_AGGREGATION_DELAY_MS): a pause inside aggregation so e2e can kill there. */
    private readonly delayMs = 0,
  ) {}

  onChange(change: RoundChange): void {
    if (effectOf(change, 'aggregate')) this.start(change.round, change.uploads);
    if (change.round.state === 'failed') this.aggregator.drop(change.study.id);
  }

  /** Starts the aggregation of `round` over `uploads`; not awaited by the caller. */
  start(round: Round, uploads: readonly Participant[]): void {
    void this.run(round, uploads);
  }

  private async run(round: Round, uploads: readonly Participant[]): Promise<void> {
    const { aggregator, log } = this;
    try {
      const stored = await aggregator.serial.run(round.studyId, async () => {
        log.info(
          { studyId: round.studyId, round: round.number, uploads: uploads.length },
          'aggregation started',
        );
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        crashPoint('aggregation:started');
        return aggregator.aggregate(round.studyId, round.number, uploads);
      });
      log.info({ studyId: round.studyId, round: round.number, sha256: stored.sha256 }, 'aggregation stored');
      crashPoint('aggregation:model-stored');
      const { screening, ...blob } = stored;
      await this.rounds.aggregationDone(round.studyId, round.number, blob, screening);
    } catch (e) {
      if (e instanceof SecureSessionLost) {
        log.error({ studyId: round.studyId, round: round.number, reason: e.message }, 'secure session lost');
        await this.rounds
          .quorumLost(round.studyId, round.number, e.message, new Map())
          .catch((err: unknown) => log.error({ err }, 'recording the lost session failed'));
        return;
      }
      if (e instanceof QuorumLostToScreening) {
        log.error(
          { studyId: round.studyId, round: round.number, reason: e.message },
          'quorum lost to screening',
        );
        await this.rounds
          .quorumLost(round.studyId, round.number, e.message, e.screening)
          .catch((err: unknown) => log.error({ err }, 'recording the lost quorum failed'));
        return;
      }
      log.error({ err: e, studyId: round.studyId, round: round.number }, 'aggregation failed');
      aggregator.drop(round.studyId);
      await this.rounds
        .aggregationFailed(round.studyId, round.number, e instanceof Error ? e.message : String(e))
        .catch((err: unknown) => log.error({ err }, 'recording the failed aggregation failed'));
    }
  }
}
