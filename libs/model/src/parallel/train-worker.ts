/**
 * One data-parallel training replica (a worker_threads worker started by train-parallel.ts): its own
 * tfjs engine and model copy. Per step it writes the gradient of its shard's share of the batch loss
 * into its slot of shared memory, applies Adam with the summed gradient to its shard of the shared
 * weights, and loads the updated weights (shared-adam.ts), so the replicas stay identical.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectEngine } from '../engine';
import { bufferValues } from '../train/batch-norm-training';
import { installTrainingModes } from '../train/layer-modes';
import { variableGradsLowMemory } from '../train/low-memory-gradients';
import { weightedBinaryCrossEntropy } from '../train/loss';
import { applyTrainableScope } from '../train/scope';
import { type FromWorker, type ToWorker, wireWeights } from './protocol';
import { flatOffsets, shardRange, ShardedAdam } from './shared-adam';

interface Replica {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  /** Offsets of the variables in the shared buffers. */
  offsets: number[];
  adam: ShardedAdam;
  /** This worker's gradient slot; all slots; the shared trainable values. */
  slot: Float32Array;
  grads: Float32Array;
  weights: Float32Array;
  workers: number;
  setStep: (step: number) => void;
  /** The model input's [height, width, channels]. */
  shape: [number, number, number];
}

let replica: Replica | null = null;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  await selectEngine(m.engine);
  const model = await tfl.models.modelFromJSON({ modelTopology: m.topology } as Parameters<
    typeof tfl.models.modelFromJSON
  >[0]);
  // write() assigns a copy; the tidy frees the tensor it was given.
  tf.tidy(() => wireWeights(model).forEach((w, i) => w.write(tf.tensor(m.weights[i]!, w.shape as number[]))));
  applyTrainableScope(model, m.scope);
  const modes = installTrainingModes(model, m.seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { offsets, total } = flatOffsets(variables.map((v) => v.size));
  const grads = new Float32Array(m.sharedGrads);
  const weights = new Float32Array(m.sharedWeights);
  if (grads.length !== total * m.workers || weights.length !== total) {
    throw new Error(`shared buffers hold ${weights.length} weights, the model trains ${total}`);
  }
  const [lo, hi] = shardRange(total, m.index, m.workers);
  // The replicas start equal: each writes its own shard of the shared weights.
  const values = variables.map((v) => v.dataSync() as Float32Array);
  variables.forEach((v, i) => {
    const [a, b] = [Math.max(lo, offsets[i]!), Math.min(hi, offsets[i]! + v.size)];
    if (a < b) weights.set(values[i]!.subarray(a - offsets[i]!, b - offsets[i]!), a);
  });
  replica = {
    model,
    variables,
    offsets,
    adam: new ShardedAdam(m.learningRate, total, lo, hi),
    slot: grads.subarray(m.index * total, (m.index + 1) * total),
    grads,
    weights,
    workers: m.workers,
    setStep: modes.setStep,
    shape: model.inputs[0]!.shape.slice(1) as [number, number, number],
  };
}

/**
 * The gradient of this shard's share of the batch loss, accumulated over micro-batches of at most
 * `microBatch` rows (gradient accumulation: Σ over micro-batches of mean loss × rows / batchRows is
 * the same sum; only BatchNorm's batch statistics then come from each micro-batch).
 */
async function gradient(r: Replica, m: Extract<ToWorker, { type: 'grad' }>): Promise<void> {
  r.setStep(m.step);
  const rows = m.y.length;
  const pixels = r.shape[0] * r.shape[1] * r.shape[2];
  let sum: tf.Tensor[] | null = null;
  let loss = 0;
  for (let a = 0; a < rows; a += m.microBatch) {
    const b = Math.min(rows, a + m.microBatch);
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor4d(m.x.subarray(a * pixels, b * pixels), [b - a, ...r.shape]);
      const y = tf.tensor2d(m.y.subarray(a, b), [b - a, 1]);
      const w = tf.tensor2d(m.w.subarray(a, b), [b - a, 1]);
      const share = (b - a) / m.batchRows;
      const lossFn = (): tf.Scalar =>
        tf.mul(weightedBinaryCrossEntropy(y, r.model.apply(x, { training: true }) as tf.Tensor, w), share);
      return variableGradsLowMemory(lossFn, r.variables);
    });
    const list = r.variables.map((v) => grads[v.name]!);
    loss += (await value.data())[0]!;
    value.dispose();
    if (!sum) sum = list;
    else {
      const previous: tf.Tensor[] = sum;
      sum = tf.tidy(() => list.map((g, i) => tf.add(previous[i]!, g)));
      tf.dispose([...previous, ...list]);
    }
  }
  // Straight from the engine's buffer (dataSync would copy 4·P bytes first).
  for (let i = 0; i < sum!.length; i++) r.slot.set(bufferValues(sum![i]!), r.offsets[i]);
  tf.dispose(sum!);
  post({ type: 'grad', loss });
}

/** Replaces every variable's value with its slice of the shared weights (copied into the engine). */
function load(r: Replica): void {
  r.variables.forEach((v, i) => {
    const values = r.weights.subarray(r.offsets[i]!, r.offsets[i]! + v.size);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  });
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    await init(m);
    return post({ type: 'ready' });
  }
  if (m.type === 'close') {
    replica?.model.dispose();
    return parentPort!.close();
  }
  if (!replica) throw new Error(`worker got "${m.type}" before "init"`);
  if (m.type === 'grad') return gradient(replica, m);
  if (m.type === 'apply') {
    replica.adam.step(replica.grads, replica.weights, replica.workers);
    return post({ type: 'applied' });
  }
  if (m.type === 'load') {
    load(replica);
    return post({ type: 'loaded' });
  }
  const weights = await Promise.all(
    wireWeights(replica.model).map(async (w) => ((await w.read().data()) as Float32Array).slice()),
  );
  post(
    { type: 'weights', weights },
    weights.map((a) => a.buffer as ArrayBuffer),
  );
}

parentPort!.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) => post({ type: 'error', message: (err as Error).stack ?? String(err) }));
});
