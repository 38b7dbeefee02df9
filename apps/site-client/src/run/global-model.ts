import { buildModel, inferArchitecture, setNamedWeights } from '@fedaln/model';
import { decodeBlob, type NamedTensor, type TaskPayload, type TransferProgress } from '@fedaln/protocol';
import type * as tfl from '@tensorflow/tfjs-layers';
import { formatMb } from '../progress/render-bar';
import { downloadModel } from '../transfer/download-model';
import { restoreLocalBatchNorm } from './local-batch-norm';
import type { TaskContext } from './task-context';

/** A progress callback drawing a transfer bar with MB and MB/s. */
export function transferBar(ctx: TaskContext, label: string): (p: TransferProgress) => void {
  return (p) =>
    ctx.progress.update({
      label,
      done: p.bytes,
      total: p.totalBytes,
      detail: `${formatMb(p.bytes)} ${p.mbPerS.toFixed(1)} MB/s`,
    });
}

/**
 * The task's global model, downloaded (or taken from the work dir), verified, and loaded into the
 * architecture its weight names identify at the study's input size; a FedBN study's site puts back its
 * own BatchNorm weights (local-batch-norm.ts). `weights` are the global's. The caller disposes `model`.
 *
 * @example const { model, weights, inputSize } = await loadGlobalModel(task, ctx);
 */
export async function loadGlobalModel(
  task: TaskPayload,
  ctx: TaskContext,
): Promise<{ model: tfl.LayersModel; weights: NamedTensor[]; arch: string; inputSize: number }> {
  const blob = await downloadModel(ctx.socket, task, ctx.work, {
    onProgress: transferBar(ctx, `download v${task.model_version}`),
  });
  ctx.progress.end();
  const weights = decodeBlob(blob);
  const inputSize = ctx.inputSize(task);
  const recognised = inferArchitecture(weights);
  const model = buildModel({ ...recognised, inputSize, seed: ctx.seed });
  try {
    setNamedWeights(model, weights, { source: `global model v${task.model_version}` });
    if (await restoreLocalBatchNorm(model, task, ctx.work))
      ctx.log(`round ${task.round}: FedBN, this site's BatchNorm weights restored from the work dir`);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, weights, arch: recognised.arch, inputSize };
}
