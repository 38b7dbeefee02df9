/**
 * One data-parallel training replica (a worker_threads worker started by train-parallel.ts): its own
 * tfjs engine and model copy. Per step it computes the gradient of its shard's share of the batch
 * loss, and then applies the summed gradient with its own Adam: every replica applies the same
 * update to the same weights, so the replicas stay identical without sending weights around.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectEngine } from '../engine';
import { installTrainingModes } from '../train/layer-modes';
import { weightedBinaryCrossEntropy } from '../train/loss';
import { applyTrainableScope } from '../train/scope';
import { type FromWorker, type ToWorker, wireWeights } from './protocol';

interface Replica {
  model: tfl.LayersModel;
  variables: tf.Variable[];
  optimizer: tf.Optimizer;
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
  replica = {
    model,
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    optimizer: tf.train.adam(m.learningRate),
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
      return tf.variableGrads(lossFn, r.variables);
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
  const arrays = await Promise.all(sum!.map((g) => g.data() as Promise<Float32Array>));
  // wasm's data() is a fresh copy; the cpu backend's is its own storage, which a transfer would detach.
  if (tf.getBackend() !== 'wasm') arrays.forEach((x, i) => (arrays[i] = x.slice()));
  tf.dispose(sum!);
  post(
    { type: 'grad', loss, grads: arrays },
    arrays.map((a) => a.buffer as ArrayBuffer),
  );
}

function apply(r: Replica, grads: Float32Array[]): void {
  tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    r.variables.forEach((v, i) => (named[v.name] = tf.tensor(grads[i]!, v.shape)));
    r.optimizer.applyGradients(named);
  });
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    await init(m);
    return post({ type: 'ready' });
  }
  if (m.type === 'close') {
    replica?.optimizer.dispose();
    replica?.model.dispose();
    return parentPort!.close();
  }
  if (!replica) throw new Error(`worker got "${m.type}" before "init"`);
  if (m.type === 'grad') return gradient(replica, m);
  if (m.type === 'apply') {
    apply(replica, m.grads);
    return post({ type: 'applied' });
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
