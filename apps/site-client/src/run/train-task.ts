import { namedWeights } from '@fedaln/model';
import {
  encodeBlob,
  frameCount,
  subtractWeights,
  type NamedTensor,
  type TaskPayload,
} from '@fedaln/protocol';
import { DEFAULT_MASK_PRG } from '@fedaln/secagg';
import { createHash } from 'node:crypto';
import type { SecureRound } from './secure-aggregation';
import { formatMb } from '../progress/render-bar';
import { resumable, type UploadState } from '../transfer/upload-state';
import { uploadUpdate } from '../transfer/upload-update';
import { loadGlobalModel, transferBar } from './global-model';
import { trainForTask } from './local-training';
import { trainProgressReporter } from './train-progress';
import { keepLocalBatchNorm, sharedUpdate } from './local-batch-norm';
import type { TaskContext } from './task-context';

/**
 * A train task (DESIGN.md "Rounds"): resume a saved upload for this round if there is one; otherwise
 * download the global model, train it locally on the train split, and upload
 * `delta = local − global` (f32 blob) with the number of training cases.
 *
 * @example await runTrainTask(task, ctx);
 */
export async function runTrainTask(task: TaskPayload, ctx: TaskContext): Promise<void> {
  let nTrain = 0;
  const { work, log } = ctx;
  // A masked input belongs to one session, whose secrets lived in the process that made it: never resumed.
  const pending = task.secure_aggregation ? null : await work.pendingUpload(task.study_id, task.round);
  if (pending && resumable(pending.state, task)) {
    log(
      `round ${task.round}: resuming the saved upload (${formatMb(pending.state.bytes)}, ` +
        `frame ${pending.state.next_frame}/${pending.state.frames} acknowledged before)`,
    );
    await upload(ctx, pending.state, pending.blob, task);
    return;
  }
  const secure = task.secure_aggregation
    ? await ctx.secure.join({ ...task, secure_aggregation: task.secure_aggregation })
    : null;
  if (secure)
    log(
      `round ${task.round}: secure aggregation, site ${secure.site.site} of ${task.secure_aggregation?.sites} (threshold ${task.secure_aggregation?.threshold}): keys and shares exchanged`,
    );
  const { model, weights: global, arch, inputSize } = await loadGlobalModel(task, ctx);
  let local;
  try {
    const { train: cases, validation } = await ctx.data.trainAndValidation(
      inputSize,
      task.validation_fraction ?? 0,
    );
    nTrain = cases.length;
    if (validation.length > 0)
      log(`round ${task.round}: ${validation.length} train cases held out for validation (model selection)`);
    log(
      `round ${task.round}: training ${arch} at ${inputSize} px on ${cases.length} cases ` +
        `(${task.epochs} epochs, batch ${task.batch_size}, lr ${task.learning_rate}, ` +
        `strategy ${task.strategy?.name ?? 'fedavg'}${task.strategy?.name === 'fedprox' ? ` mu ${task.strategy.mu}` : ''}, ` +
        `deadline ${task.deadline})`,
    );
    const report = trainProgressReporter(ctx.socket, task);
    if (task.dp)
      log(
        `round ${task.round}: DP-SGD, ${task.dp.steps} steps at sampling rate ${task.dp.sampling_rate}, ` +
          `clip norm ${task.dp.clip_norm}, noise multiplier ${task.dp.noise_multiplier}`,
      );
    const result = await trainForTask(
      task,
      model,
      { images: cases.map((c) => c.image!), labels: cases.map((c) => c.label) },
      {
        epochs: task.epochs,
        batchSize: task.batch_size,
        learningRate: task.learning_rate,
        // A different shuffle and augmentation each round, reproducible from the site seed.
        seed: ctx.seed * 1000 + task.round,
        signal: ctx.signal,
        ...(task.strategy?.name === 'fedprox' ? { proximal: { mu: task.strategy.mu } } : {}),
        onBatch: (p) => {
          ctx.progress.update({
            label: `epoch ${p.epoch + 1}/${task.epochs} batch ${p.batch + 1}/${p.batches}`,
            done: p.epoch * p.batches + p.batch + 1,
            total: task.epochs * p.batches,
            detail: `loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} images/s`,
          });
          report(p);
        },
      },
    );
    ctx.progress.end();
    log(
      `round ${task.round}: trained, epoch losses ${result.epochLosses.map((l) => l.toFixed(4)).join(' ')}, ` +
        `${result.imagesPerSecond.toFixed(1)} images/s`,
    );
    local = namedWeights(model);
    await keepLocalBatchNorm(model, task, work);
  } finally {
    model.dispose();
  }
  const delta = secure
    ? maskedUpload(secure, global, subtractWeights(local, global), ctx)
    : encodeBlob(sharedUpdate(subtractWeights(local, global), task), { encoding: 'f32' });
  const state: UploadState = {
    study_id: task.study_id,
    round: task.round,
    model_version: task.model_version,
    sha256: delta.sha256,
    bytes: delta.bytes.length,
    n_train: task.secure_aggregation?.n_train ?? nTrain,
    next_frame: 0,
    frames: frameCount(delta.bytes.length),
  };
  await work.saveUpload(state, delta.bytes);
  await upload(ctx, state, delta.bytes, task);
}

/** The masked input of `delta`, named by its sha256 like any upload. */
function maskedUpload(
  secure: SecureRound,
  global: NamedTensor[],
  delta: NamedTensor[],
  ctx: TaskContext,
): { bytes: Uint8Array; sha256: string } {
  const { bytes, norm } = secure.maskedInput(global, delta);
  const clip = secure.task.secure_aggregation.clip_norm;
  const prg = secure.task.secure_aggregation.prg ?? DEFAULT_MASK_PRG;
  ctx.log(
    `round ${secure.task.round}: secure aggregation, update norm ${norm.toPrecision(4)}${norm > clip ? `, clipped to ${clip}` : ` (clip_norm ${clip})`}; masked input ${formatMb(bytes.length)} (${prg})`,
  );
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function upload(
  ctx: TaskContext,
  state: UploadState,
  blob: Uint8Array,
  task: TaskPayload,
): Promise<void> {
  await uploadUpdate(ctx.socket, ctx.work, state, blob, {
    onProgress: transferBar(ctx, `upload round ${task.round}`),
  });
  ctx.progress.end();
  ctx.log(
    `round ${task.round}: update uploaded and accepted (${formatMb(state.bytes)}, n_train ${state.n_train})`,
  );
}
