import { SiteEvent, type TaskPayload } from '@fedaln/protocol';
import type { SiteSocket } from './site-socket';

/** The protocol's limit (events.ts `TrainProgressPayload`): at most 2 events per second. */
export const TRAIN_PROGRESS_EVERY_MS = 500;

/** One training step as `trainModel` reports it (0-based epoch and batch). */
export interface StepProgress {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
}

/**
 * A `trainModel` `onBatch` callback that tells the coordinator how training goes (`train:progress`),
 * at most once per {@link TRAIN_PROGRESS_EVERY_MS} but always for the last step, so the dashboard
 * ends at 100 %. Fire and forget: the ack is not awaited, training never waits on the network.
 *
 * @example
 * const report = trainProgressReporter(socket, task);
 * await trainModel(model, data, { ...options, onBatch: report });
 */
export function trainProgressReporter(
  socket: SiteSocket,
  task: TaskPayload,
  now: () => number = Date.now,
): (p: StepProgress) => void {
  let last = -Infinity;
  return (p) => {
    const final = p.epoch + 1 === task.epochs && p.batch + 1 === p.batches;
    const t = now();
    if (!final && t - last < TRAIN_PROGRESS_EVERY_MS) return;
    if (!socket.connected) return;
    last = t;
    socket.emit(
      SiteEvent.trainProgress,
      {
        study_id: task.study_id,
        round: task.round,
        epoch: p.epoch + 1,
        epochs: task.epochs,
        batch: p.batch + 1,
        batches: p.batches,
        loss: p.loss,
        images_per_s: p.imagesPerSecond,
      },
      // A refusal (the round moved on) changes nothing here: the upload will say so.
      () => undefined,
    );
  };
}
