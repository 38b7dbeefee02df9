import { ROUND_STATES } from '../rounds/round-machine';
import type { RoundRepository } from '../rounds/round.repository';
import { CollectedGauge, Counter, Histogram, MetricsRegistry } from './metrics-registry';

/** Round durations span a quick demo (seconds) to a real DenseNet201 round (hours). */
const DURATION_BUCKETS_S = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/** The coordinator's metrics, served at `GET /metrics`. */
export class CoordinatorMetrics {
  readonly registry = new MetricsRegistry();
  readonly uploads = this.registry.add(
    new Counter('fedaln_uploads_total', 'Model updates accepted from sites.'),
  );
  readonly uploadBytes = this.registry.add(
    new Counter('fedaln_upload_bytes_total', 'Bytes of accepted model updates.'),
  );
  readonly roundDuration = this.registry.add(
    new Histogram(
      'fedaln_round_duration_seconds',
      'Wall time from round start to completion.',
      DURATION_BUCKETS_S,
    ),
  );

  constructor(rounds: RoundRepository) {
    this.registry.add(
      new CollectedGauge('fedaln_rounds', 'Rounds by state.', async () => {
        const counts = await rounds.countByState();
        return ROUND_STATES.map((state) => [{ state }, counts.get(state) ?? 0] as const);
      }),
    );
  }
}
