// `npm run bench -- train [--json] [--arch densenet201] [--size 64,128,224] [--engine wasm]
//  [--batch 8] [--workers 1,2] [--reps 2] [--budget 60] [--heap-mb 2500]`: images/s of local
// training as a site runs it — trainModelParallel (built @fedaln/model) with W worker threads, each
// with its own engine and model replica, micro-batches sized to the wasm heap, Adam, no
// augmentation — against torchvision's DenseNet training step on the same batch and size, measured
// in the same run (bench/peers/torch_densenet.py, `torch.set_num_threads(2)`).
//  - train_img_per_s: best step of R (default 2) after a warm-up step (worker start-up not timed);
//  - forward_img_per_s: `model.predict` of the batch on this thread (one core), best of R;
//  - step_over_forward = forward_img_per_s / train_img_per_s (with W > 1 workers the step has W
//    cores and the forward one, so compare the W = 1 row with the ≤ 6 target);
//  - peak_mb_per_image: peak tensor memory of a one-image training step (wasm buffers allocated
//    during the step, each counted once; weights and Adam slots not included), and the
//    micro-batch: the most images whose peak stays under --heap-mb (default 2500 of wasm's 4 GiB,
//    leaving room for weights, Adam slots and fragmentation). A step of batch B then accumulates
//    gradients over ⌈B / (W·micro)⌉ micro-batches per worker.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  buildModel,
  type EngineName,
  installTrainingModes,
  selectEngine,
  trainModelParallel,
  variableGradsLowMemory,
} from '@fedaln/model';
import { benchArgs, bestOf, MODEL_BENCH_FLAGS, torchPeer } from './model.bench';
import { benchFlags } from './support/flags';

const flags = benchFlags({
  ...MODEL_BENCH_FLAGS,
  arch: 'densenet201',
  engine: 'wasm',
  reps: 2,
  budget: 60,
  workers: `1,${os.availableParallelism()}`,
  'heap-mb': 2500,
});
const a = benchArgs(flags);
const workerCounts = flags.workers
  .split(',')
  .map(Number)
  .filter((w, i, all) => all.indexOf(w) === i);
const heapMb = flags['heap-mb'];

function seededImages(count: number, size: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) =>
    tf.tidy(() => tf.randomUniform([size * size * 3], -2, 2, 'float32', 1000 + i).dataSync() as Float32Array),
  );
}

/**
 * Peak MB of tensor buffers during `f`. On wasm, counted per buffer: tfjs-core's own count
 * (tf.profile's peakBytes) adds a tensor's bytes once per tensor, so tensors sharing a buffer
 * (Reshape, and the wasm Identity of @fedaln/model) count it several times. Buffers are the
 * backend's `move` (every allocation) minus `disposeData` when it frees; XNNPACK's packed weights and
 * the allocator's fragmentation are not included.
 */
async function peakMb(f: () => void): Promise<number> {
  const backend = tf.backend() as unknown as {
    move: (dataId: object, values: unknown, shape: number[], dtype: string, refCount: number) => void;
    disposeData: (dataId: object, force?: boolean) => boolean;
    dataIdMap: { has: (dataId: object) => boolean };
  };
  if (tf.getBackend() !== 'wasm' || typeof backend.move !== 'function') {
    return (await tf.profile(f)).peakBytes / 2 ** 20;
  }
  const { move, disposeData } = backend;
  const sizes = new Map<object, number>();
  let live = 0;
  let peak = 0;
  backend.move = function (dataId, values, shape, dtype, refCount) {
    move.call(this, dataId, values, shape, dtype, refCount);
    const bytes = dtype === 'string' ? 0 : shape.reduce((a, b) => a * b, 1) * 4;
    sizes.set(dataId, bytes);
    live += bytes;
    peak = Math.max(peak, live);
  };
  backend.disposeData = function (dataId, force) {
    const freed = disposeData.call(this, dataId, force);
    if (!backend.dataIdMap.has(dataId) && sizes.has(dataId)) {
      live -= sizes.get(dataId)!;
      sizes.delete(dataId);
    }
    return freed;
  };
  try {
    f();
  } finally {
    backend.move = move;
    backend.disposeData = disposeData;
  }
  return peak / 2 ** 20;
}

/**
 * Peak tensor MB of one training step on one image, in process (see {@link peakMb}), computed as a
 * worker computes it (installTrainingModes, variableGradsLowMemory). The weights are restored after.
 */
async function peakPerImage(model: ReturnType<typeof buildModel>, size: number): Promise<number> {
  const x = tf.randomUniform([1, size, size, 3], -2, 2, 'float32', 3);
  const y = tf.tensor2d([1], [1, 1]);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = model.getWeights().map((w) => w.clone());
  const modes = installTrainingModes(model, 1);
  const peak = await peakMb(() => {
    const { value, grads } = variableGradsLowMemory(
      () => tf.losses.logLoss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      variables,
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  modes.restore();
  model.setWeights(before);
  tf.dispose([x, y, ...before]);
  return peak;
}

async function run(engine: EngineName, arch: (typeof a.archs)[number], size: number): Promise<void> {
  const model = buildModel({ arch, inputSize: size, head: 'binary', seed: 1 });
  const batchX = tf.randomUniform([a.batch, size, size, 3], -2, 2, 'float32', 7);
  const fwd = await bestOf(a.reps, a.budgetS, async () => {
    const p = model.predict(batchX) as tf.Tensor;
    await p.data();
    p.dispose();
  });
  batchX.dispose();
  const forward = a.batch / fwd.seconds;
  const peak = await peakPerImage(model, size);
  const micro = Math.max(1, Math.floor(heapMb / peak));
  const torch = torchPeer(arch, size, a.batch, a.reps, a.budgetS);
  const images = seededImages(a.batch * (1 + a.reps), size);
  const labels = images.map((_, i) => i % 2);
  const initial = model.getWeights().map((w) => w.clone());
  for (const workers of workerCounts) {
    model.setWeights(initial);
    const stepEnds: number[] = [];
    try {
      await trainModelParallel(
        model,
        { images, labels },
        {
          epochs: 1,
          batchSize: a.batch,
          learningRate: 1e-4,
          seed: 1,
          augment: false,
          recalibrateBatchNorm: false,
          workers,
          microBatch: micro,
          onBatch: () => stepEnds.push(performance.now()),
        },
      );
    } catch (err) {
      report({ arch, size, engine, workers, skipped: `failed: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    // Step k takes stepEnds[k] − stepEnds[k−1]; step 0 (with worker start-up) is the warm-up.
    const steps = stepEnds.slice(1).map((t, k) => (t - stepEnds[k]!) / 1000);
    const best = Math.min(...steps);
    const train = a.batch / best;
    report({
      arch,
      size,
      engine,
      workers,
      micro_batch: micro,
      train_img_per_s: round(train),
      forward_img_per_s: round(forward),
      torch_train_img_per_s: round(torch.train_img_per_s),
      torch_forward_img_per_s: round(torch.forward_img_per_s),
      ratio_vs_torch: round(train / torch.train_img_per_s),
      step_over_forward: round(forward / train),
      peak_mb_per_image: round(peak),
    });
  }
  tf.dispose(initial);
  model.dispose();
}

const round = (v: number): number => Number(v.toPrecision(3));
const load = Number(os.loadavg()[0]!.toFixed(1));

function report(row: Record<string, unknown>): void {
  const full = { name: 'train', ...row, batch: a.batch, load_1min: load };
  if (a.json) console.log(JSON.stringify(full));
  else
    console.log(
      Object.entries(full)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' '),
    );
}

async function main(): Promise<void> {
  if (!a.json) {
    console.log(
      `local training, batch ${a.batch}, workers ${workerCounts.join('/')}, best of ${a.reps} steps after a warm-up; ` +
        `forward on one thread; load ${load} on ${os.availableParallelism()} cores`,
    );
  }
  for (const engine of a.engines) {
    await selectEngine(engine);
    for (const arch of a.archs) for (const size of a.sizes) await run(engine, arch, size);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
