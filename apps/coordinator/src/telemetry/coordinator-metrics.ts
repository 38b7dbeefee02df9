import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ROUND_STATES } from '../rounds/round-machine';
import type { RoundRepository } from '../rounds/round.repository';

/** Round durations span a quick demo (seconds) to a real DenseNet201 round (hours). */
const DURATION_BUCKETS_S = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/**
 * The coordinator's Prometheus metrics, served at `GET /metrics` (prom-client, in the text
 * exposition format). Its own registry, so two coordinators in one process (tests) do not share
 * counters; rounds by state are counted in the database when scraped.
 *
 * @example
 * metrics.uploads.inc();
 * await metrics.render(); // '# HELP fedaln_uploads_total …'
 */
export class CoordinatorMetrics {
  private readonly registry = new Registry();
  readonly uploads = new Counter({
    name: 'fedaln_uploads_total',
    help: 'Model updates accepted from sites.',
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: 'fedaln_upload_bytes_total',
    help: 'Bytes of accepted model updates.',
    registers: [this.registry],
  });
  readonly trainProgressDropped = new Counter({
    name: 'fedaln_train_progress_dropped_total',
    help: 'train:progress events dropped because a site sent more than 2 per second.',
    registers: [this.registry],
  });
  readonly roundDuration = new Histogram({
    name: 'fedaln_round_duration_seconds',
    help: 'Wall time from round start to completion.',
    buckets: DURATION_BUCKETS_S,
    registers: [this.registry],
  });

  constructor(rounds: RoundRepository) {
    new Gauge({
      name: 'fedaln_rounds',
      help: 'Rounds by state.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const counts = await rounds.countByState();
        for (const state of ROUND_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
  }

  /** The text exposition format (`Registry.PROMETHEUS_CONTENT_TYPE`, as `GET /metrics` says). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
