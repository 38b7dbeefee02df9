import { describe, expect, it } from '@jest/globals';
import type { TaskPayload, TrainProgressPayload } from '@fedaln/protocol';
import type { SiteSocket } from './site-socket';
import { trainProgressReporter } from './train-progress';

const task = { study_id: 's1', round: 4, epochs: 2 } as TaskPayload;

/** A connected socket that records what is emitted. */
function recorder(): { socket: SiteSocket; sent: [string, TrainProgressPayload][] } {
  const sent: [string, TrainProgressPayload][] = [];
  const socket = {
    connected: true,
    emit: (event: string, payload: TrainProgressPayload) => sent.push([event, payload]),
  } as unknown as SiteSocket;
  return { socket, sent };
}

describe('trainProgressReporter', () => {
  it('sends at most one event per 500 ms, counting from 1, and always the last step', () => {
    const { socket, sent } = recorder();
    let clock = 0;
    const report = trainProgressReporter(socket, task, () => clock);
    // 2 epochs × 4 batches, one step every 200 ms: steps at 0, 200, …, 1400 ms.
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let batch = 0; batch < 4; batch++, clock += 200) {
        report({ epoch, batch, batches: 4, loss: 0.5, imagesPerSecond: 10 });
      }
    }
    // Throttle by hand: sent at 0 ms (epoch 1 batch 1), then the first step ≥ 500 ms later (600 ms,
    // epoch 1 batch 4), then ≥ 1100 ms (1200 ms, epoch 2 batch 3); 1400 ms is the last step, sent anyway.
    expect(sent.map(([, p]) => `${p.epoch}/${p.epochs}:${p.batch}/${p.batches}`)).toEqual([
      '1/2:1/4',
      '1/2:4/4',
      '2/2:3/4',
      '2/2:4/4',
    ]);
    expect(sent.every(([event]) => event === 'train:progress')).toBe(true);
    expect(sent[0]![1]).toEqual({
      study_id: 's1',
      round: 4,
      epoch: 1,
      epochs: 2,
      batch: 1,
      batches: 4,
      loss: 0.5,
      images_per_s: 10,
    });
  });
});
