/**
 * Data-parallel training in worker_threads: tfjs-backend-wasm cannot start its own threads under
 * Node, so a 2-core site would otherwise train on one core. Each worker holds an engine and a model
 * replica; every step the batch (the same batch, augmentation and order as {@link trainModel}) is
 * split into contiguous row shards, each worker writes the gradient of its shard's share of the
 * batch loss (mean over its rows × rows/batch) into its slot of shared memory, and the sum of the
 * slots — the gradient of the batch mean, as in synchronous data-parallel SGD (Goyal et al. 2017,
 * "Accurate, Large Minibatch SGD", §2) — goes through Adam, each worker updating its 1/W of the
 * shared weights (shared-adam.ts), which every worker then loads, so the replicas stay equal.
 *
 * Differences from one process: BatchNormalization layers that train normalise with their shard's
 * statistics (as PyTorch DistributedDataParallel without SyncBatchNorm), and the moving statistics
 * are averaged over the workers at the end; the head's dropout draws its masks per shard. With frozen
 * BatchNorm (scope `head`) and no dropout the result equals one worker's up to float32 summation order.
 */
import * as os from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EngineName } from '../engine';
import { recalibrateBatchNorm } from '../train/batchnorm-recalibration';
import { createPrng, deriveSeed, shuffledIndices } from '@fedaln/site-data';
import { applyTrainableScope } from '../train/scope';
import {
  planTraining,
  type TrainOptions,
  TrainingTally,
  type TrainResult,
  type TrainingSet,
} from '../train/train-model';
import { type FromWorker, type ToWorker, wireWeights } from './protocol';
import { type BatchSource, batchSource } from './batch-source';
import { sumInto } from './sum-gradients';

export interface ParallelTrainOptions extends TrainOptions {
  /** Worker threads; default `os.availableParallelism()`, at most the batch size. */
  workers?: number;
  /** Engine of the workers; default the engine in use on this thread (`wasm` or `cpu`). */
  engine?: EngineName;
  /**
   * Most rows a worker runs forward and backward at once (default: its whole shard). Smaller values
   * accumulate the gradient over micro-batches, so a batch that does not fit the wasm heap (4 GiB
   * per worker) still trains with the study's batch size; BatchNorm then normalises per micro-batch.
   */
  microBatch?: number;
  /**
   * With scope `{ fromBlock: K }` and `augment: false`: run the frozen part once per call and cache
   * its output per image, so each step runs only blocks ≥ K (frozen-prefix.ts). Default false.
   */
  cacheFrozen?: boolean;
}

/** The compiled worker; under ts-jest (sources) the package's built copy. */
function workerFile(): string {
  const here = join(__dirname, 'train-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', '..', 'dist', 'parallel', 'train-worker.js');
}

class Replica {
  private pending: ((m: FromWorker) => void) | null = null;
  private failure: Error | null = null;
  readonly worker: Worker;
  constructor(file: string) {
    this.worker = new Worker(file);
    this.worker.on('message', (m: FromWorker) => this.settle(m));
    this.worker.on('error', (err) => {
      this.failure = err;
      this.settle({ type: 'error', message: err.message });
    });
  }
  private settle(m: FromWorker): void {
    const resolve = this.pending;
    this.pending = null;
    resolve?.(m);
  }
  /** Sends `message` and resolves with the worker's reply (rejects on its error). */
  request<T extends FromWorker['type']>(
    message: ToWorker,
    expect: T,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = (m) => {
        if (m.type === expect) resolve(m as Extract<FromWorker, { type: T }>);
        else reject(new Error(`training worker: ${m.type === 'error' ? m.message : `unexpected ${m.type}`}`));
      };
      this.worker.postMessage(message, transfer);
    });
  }
}

/**
 * Trains `model` in place with `workers` data-parallel replicas; options and result as
 * {@link trainModel}.
 * @example
 * const result = await trainModelParallel(model, { images, labels }, {
 *   epochs: 1, batchSize: 16, learningRate: 1e-4, seed: 1, workers: 2,
 * });
 */
export async function trainModelParallel(
  model: tfl.LayersModel,
  dataset: TrainingSet,
  options: ParallelTrainOptions,
): Promise<TrainResult> {
  const { n, size, weights, augmentOptions, batches } = planTraining(model, dataset, options);
  const { seed, batchSize, epochs } = options;
  if (options.proximal?.mu)
    throw new Error('FedProx (proximal) training runs only in trainModel, not in parallel');
  const count = Math.min(options.workers ?? os.availableParallelism(), batchSize);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`workers ${options.workers} is not a positive integer`);
  const microBatch = options.microBatch ?? batchSize;
  if (!Number.isInteger(microBatch) || microBatch < 1)
    throw new Error(`micro-batch ${options.microBatch} is not a positive integer`);
  const engine = options.engine ?? (tf.getBackend() === 'wasm' ? 'wasm' : 'cpu');
  const scope = options.scope ?? 'all';
  const restoreScope = applyTrainableScope(model, scope);
  let source: BatchSource;
  let trainable: number;
  try {
    source = await batchSource({
      model,
      dataset,
      size,
      weights,
      augmentOptions,
      seed,
      scope,
      cacheFrozen: options.cacheFrozen === true,
      batchSize,
    });
    trainable = source.trained.trainableWeights.reduce((sum, w) => sum + w.read().size, 0);
  } finally {
    restoreScope();
  }
  const trained = source.trained;
  const replicas = Array.from({ length: count }, () => new Replica(workerFile()));
  const tally = new TrainingTally(options.onBatch);
  try {
    const topology = trained.toJSON(null, false) as object;
    const initial = wireWeights(trained).map((w) => w.read().dataSync() as Float32Array);
    const shared = {
      sharedGrads: new SharedArrayBuffer(4 * trainable * count),
      sharedWeights: new SharedArrayBuffer(4 * trainable),
    };
    const init = (index: number): ToWorker => ({
      type: 'init',
      engine,
      topology,
      weights: initial,
      scope,
      seed,
      learningRate: options.learningRate,
      index,
      workers: count,
      ...shared,
    });
    await Promise.all(replicas.map((r, k) => r.request(init(k), 'ready')));
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(n, createPrng(deriveSeed(seed, epoch)));
      for (let batch = 0; batch < batches; batch++) {
        if (options.signal?.aborted) throw new Error(`training aborted at epoch ${epoch}, batch ${batch}`);
        const indices = order.slice(batch * batchSize, (batch + 1) * batchSize);
        const arrays = source.batch(indices, epoch);
        const rows = indices.length;
        const shards = Math.min(count, rows);
        const pixels = source.rowValues;
        const replies = await Promise.all(
          replicas.slice(0, shards).map((r, k) => {
            const [a, b] = [Math.floor((k * rows) / shards), Math.floor(((k + 1) * rows) / shards)];
            const message: ToWorker = {
              type: 'grad',
              step: tally.steps,
              x: arrays.x.slice(a * pixels, b * pixels),
              y: arrays.y.slice(a, b),
              w: arrays.w.slice(a, b),
              batchRows: rows,
              microBatch,
            };
            return r.request(message, 'grad', [message.x.buffer as ArrayBuffer]);
          }),
        );
        // Workers without rows (a last batch smaller than the worker count) contribute zeros.
        if (shards < count) new Float32Array(shared.sharedGrads, 4 * trainable * shards).fill(0);
        await Promise.all(replicas.map((r) => r.request({ type: 'apply' }, 'applied')));
        await Promise.all(replicas.map((r) => r.request({ type: 'load' }, 'loaded')));
        tally.step(
          epoch,
          batch,
          batches,
          replies.reduce((s, r) => s + r.loss, 0),
          rows,
        );
      }
      tally.endEpoch(batches);
    }
    // Trainable weights are equal on every replica; moving statistics differ: take their mean.
    const all = await Promise.all(replicas.map((r) => r.request({ type: 'weights' }, 'weights')));
    const final = all[0]!.weights;
    for (const other of all.slice(1)) sumInto(final, other.weights);
    tf.tidy(() =>
      wireWeights(trained).forEach((w, i) =>
        w.write(tf.div(tf.tensor(final[i]!, w.shape as number[]), count)),
      ),
    );
  } finally {
    await Promise.all(
      replicas.map(async (r) => {
        r.worker.postMessage({ type: 'close' } satisfies ToWorker);
        await r.worker.terminate();
      }),
    );
  }
  if (options.recalibrateBatchNorm !== false) {
    const restore = applyTrainableScope(model, scope);
    try {
      await recalibrateBatchNorm(model, dataset.images, { batchSize });
    } finally {
      restore();
    }
  }
  return tally.result(weights);
}
