import type { TrainProgressPayload } from '@fedaln/protocol';
import { DomainError } from '../domain/domain-error';
import { KeyedRateLimit } from '../domain/keyed-rate-limit';
import type { StudyRepository } from '../studies/study.repository';
import type { CoordinatorMetrics } from '../telemetry/coordinator-metrics';
import type { MonitorFeed } from '../telemetry/monitor-feed';
import { currentRoundIn } from './current-round';
import type { RoundRepository } from './round.repository';

/**
 * The protocol's limit (events.ts `TrainProgressPayload`), enforced here rather than trusted to the
 * client: per site, 2 events per second (a burst of 2).
 */
export const TRAIN_PROGRESS_RATE = { limit: 2, windowMs: 1000 } as const;

/**
 * Relays a site's training progress (`train:progress`) to the dashboard, only for its current
 * round while it trains, and only counts that add up. Events over {@link TRAIN_PROGRESS_RATE} are
 * dropped before any lookup, acknowledged as usual (progress is advisory), and counted in
 * `fedaln_train_progress_dropped_total`.
 *
 * @example
 * await progress.relay(siteId, { study_id, round: 1, epoch: 2, epochs: 3, batch: 7, batches: 20, loss, images_per_s });
 */
export class TrainingProgressRelay {
  private readonly rate: KeyedRateLimit;

  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly monitor: MonitorFeed,
    private readonly metrics: CoordinatorMetrics,
    now: () => number = Date.now,
  ) {
    this.rate = new KeyedRateLimit(TRAIN_PROGRESS_RATE, now);
  }

  async relay(siteId: string, p: TrainProgressPayload): Promise<void> {
    if (!this.rate.take(siteId).ok) {
      this.metrics.trainProgressDropped.inc();
      return;
    }
    const deps = { studies: this.studies, rounds: this.rounds };
    const { study, round } = await currentRoundIn(deps, siteId, p.study_id, p.round, 'training');
    if (p.epoch > p.epochs || p.batch > p.batches) {
      throw new DomainError(
        'INVALID_INPUT',
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}: a count exceeds its total`,
      );
    }
    this.monitor.trainingProgress({ ...p, study_id: study.id, round: round.number, site_id: siteId });
  }
}
