import type { TrainProgressPayload } from '@fedaln/protocol';
import { DomainError } from '../domain/domain-error';
import type { StudyRepository } from '../studies/study.repository';
import type { MonitorFeed } from '../telemetry/monitor-feed';
import { currentRoundIn } from './current-round';
import type { RoundRepository } from './round.repository';

/**
 * Relays a site's training progress (`train:progress`) to the dashboard, only for its current
 * round while it trains, and only counts that add up.
 *
 * @example
 * await progress.relay(siteId, { study_id, round: 1, epoch: 2, epochs: 3, batch: 7, batches: 20, loss, images_per_s });
 */
export class TrainingProgressRelay {
  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly monitor: MonitorFeed,
  ) {}

  async relay(siteId: string, p: TrainProgressPayload): Promise<void> {
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
