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
import { TrainingProgressRelay } from './training-progress';

describe('TrainingProgressRelay', () => {
  let c: InMemoryCoordinator;
  let relay: TrainingProgressRelay;
  let study: Study;
  let progress: TrainProgressPayload;

  beforeEach(async () => {
    c = inMemoryCoordinator();
    relay = new TrainingProgressRelay(c.studies, c.rounds, c.monitor);
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
});
