import type * as tfl from '@tensorflow/tfjs-layers';
import {
  trainModel,
  trainModelDpSgd,
  type TrainingSet,
  type TrainOptions,
  type TrainResult,
} from '@fedaln/model';
import type { TaskPayload } from '@fedaln/protocol';

/**
 * A train task's local training: DP-SGD at the study's settings when the task carries `dp` (issue 16;
 * noise and Poisson sampling from the platform's CSPRNG), plain training otherwise.
 *
 * @example const result = await trainForTask(task, model, { images, labels }, options);
 */
export async function trainForTask(
  task: Pick<TaskPayload, 'dp'>,
  model: tfl.LayersModel,
  dataset: TrainingSet,
  options: TrainOptions,
): Promise<TrainResult> {
  if (!task.dp) return trainModel(model, dataset, options);
  const { noise_multiplier, clip_norm, sampling_rate, steps } = task.dp;
  return trainModelDpSgd(model, dataset, {
    ...options,
    dp: { noiseMultiplier: noise_multiplier, clipNorm: clip_norm, samplingRate: sampling_rate, steps },
  });
}
