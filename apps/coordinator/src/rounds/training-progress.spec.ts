import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TrainProgressPayload } from '@fedaln/protocol';
import {
  inMemoryCoordinator,
  outsideCurrentRound,
  type Refusal,
  seedRound,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { Study } from '../domain/records';
import { CoordinatorMetrics } from '../telemetry/coordinator-metrics';
import { TrainingProgressRelay } from './training-progress';

describe('TrainingProgressRelay', () => {
  let c: InMemoryCoordinator;
  let relay: TrainingProgressRelay;
  let study: Study;
  let progress: TrainProgressPayload;
  let metrics: CoordinatorMetrics;
  /** The relay's clock (ms); each test starts at 0 and moves it by hand. */
  let t: number;

  beforeEach(async () => {
    c = inMemoryCoordinator();
    metrics = new CoordinatorMetrics(c.rounds);
    t = 0;
    relay = new TrainingProgressRelay(c.studies, c.rounds, c.monitor, metrics, () => t);
    ({ study } = await seedRound(c, { sites: ['a', 'b'], state: 'training', number: 2 }));
    progress = {
      study_id: study.id,
      round: 2,
      epoch: 2,
      epochs: 3,
      batch: 20,
      batches: 20,
      loss: 0.41,
      images_per_s: 3.5,
    };
  });

  it("relays a site's progress in its training round to the dashboard, naming the site", async () => {
    await relay.relay('a', progress);
    expect(c.monitor.told).toEqual([{ kind: 'trainingProgress', event: { ...progress, site_id: 'a' } }]);
  });

  // Who may say what (current-round.ts, training-progress.ts): only a site of the study, in the
  // study's current round, while it trains, with counts that do not exceed their totals.
  it.each<Refusal<TrainProgressPayload>>([
    ...outsideCurrentRound<TrainProgressPayload>('c'),
    ['an epoch past the total', 'a', 'INVALID_INPUT', (p) => ({ ...p, epoch: 4 })],
    ['a batch past the total', 'a', 'INVALID_INPUT', (p) => ({ ...p, batch: 21 })],
  ])('refuses progress from %s (site %s) with %s', async (_what, siteId, code, edit) => {
    await expect(relay.relay(siteId, edit(progress))).rejects.toMatchObject({ code });
    expect(c.monitor.told).toEqual([]);
  });

  it('refuses progress once the round has stopped training', async () => {
    const round = await c.rounds.find(study.id, 2);
    await c.rounds.update(round?.id as string, { state: 'aggregating' });
    await expect(relay.relay('a', progress)).rejects.toMatchObject({ code: 'ROUND_NOT_CURRENT' });
    expect(c.monitor.told).toEqual([]);
  });

  it('relays at most 2 events per second per site, dropping and counting the rest', async () => {
    // A hostile site sends 10 events at one instant, then 1 more 500 ms later (TRAIN_PROGRESS_RATE:
    // a burst of 2, one more per 500 ms); site b's own 2 are not held back by a's flood.
    for (let i = 0; i < 10; i++) await relay.relay('a', progress);
    await relay.relay('b', progress);
    await relay.relay('b', progress);
    t = 500;
    await relay.relay('a', progress);
    expect(c.monitor.told.map((m) => (m.event as { site_id: string }).site_id)).toEqual([
      'a',
      'a',
      'b',
      'b',
      'a',
    ]);
    expect(await metrics.render()).toContain('fedaln_train_progress_dropped_total 8\n');
  });
});
