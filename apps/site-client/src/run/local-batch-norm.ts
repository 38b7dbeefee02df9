import { isBatchNormWeightName, namedWeights, setNamedWeights } from '@fedaln/model';
import { decodeBlob, encodeBlob, type NamedTensor, type TaskPayload } from '@fedaln/protocol';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { WorkDir } from '../transfer/work-dir';

/**
 * FedBN at a site (Li et al., ICLR 2021; README "Strategies"): the BatchNorm parameters and statistics
 * (`@fedaln/model` isBatchNormWeightName) this site trained stay in its work dir
 * (`batchnorm/<study>.blob`) and replace the global model's before each round's training and each
 * evaluation; the site's update carries no BatchNorm change (zeros), and the coordinator keeps the
 * global's BatchNorm whatever a site sends. Studies of other strategies are untouched.
 */
const isFedBn = (task: Pick<TaskPayload, 'strategy'>): boolean => task.strategy?.name === 'fedbn';

/**
 * Puts this site's kept BatchNorm weights into `model` (loaded with the global weights); a first
 * round, with none kept yet, trains from the global's. Returns whether any were restored.
 * @example await restoreLocalBatchNorm(model, task, ctx.work);
 */
export async function restoreLocalBatchNorm(
  model: tfl.LayersModel,
  task: Pick<TaskPayload, 'strategy' | 'study_id'>,
  work: WorkDir,
): Promise<boolean> {
  if (!isFedBn(task)) return false;
  const blob = await work.localBatchNorm(task.study_id);
  if (blob === null) return false;
  setNamedWeights(model, decodeBlob(blob), {
    allowMissing: true,
    source: `this site's BatchNorm weights of study ${task.study_id} (work dir batchnorm/)`,
  });
  return true;
}

/** Saves the BatchNorm weights of the model this site just trained, for its next round and evaluation. */
export async function keepLocalBatchNorm(
  model: tfl.LayersModel,
  task: Pick<TaskPayload, 'strategy' | 'study_id'>,
  work: WorkDir,
): Promise<void> {
  if (!isFedBn(task)) return;
  const bn = namedWeights(model).filter((w) => isBatchNormWeightName(w.name));
  await work.saveLocalBatchNorm(task.study_id, encodeBlob(bn, { encoding: 'f32' }).bytes);
}

/** The update a FedBN site sends: its BatchNorm tensors zeroed (they are not shared). */
export function sharedUpdate(delta: NamedTensor[], task: Pick<TaskPayload, 'strategy'>): NamedTensor[] {
  if (!isFedBn(task)) return delta;
  return delta.map((t) =>
    isBatchNormWeightName(t.name) ? { ...t, values: new Float32Array(t.values.length) } : t,
  );
}
