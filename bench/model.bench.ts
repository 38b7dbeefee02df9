// `npm run bench -- model [--json] [--arch a,b] [--size 64,128] [--engine wasm,cpu] [--batch 8]
//  [--reps 3] [--budget 40]`: images/s of DenseNet (built @fedaln/model, binary head, random
// weights) on our engines, against torchvision's DenseNet on the same CPU measured in the same run
// (bench/peers/torch_densenet.py, `torch.set_num_threads(2)`, same arch, batch and size):
//  - forward: `model.predict` (inference mode) of one batch, read back to JS;
//  - train: one optimizer step: forward in training mode + log loss + backward + Adam update.
// Figures are best of R (default 3) after a warm-up. Time budget: every measurement stops repeating
// once BUDGET seconds (default 40) are spent, a step slower than half the budget is measured once
// (its warm-up), and a measurement whose estimate (the same engine and arch at a smaller size,
// scaled by pixel count, or a batch-1 probe) exceeds the budget is skipped with `skipped: reason`.
// The pure-JS cpu engine is ~1000× slower than torch, so most of its rows are skipped: that keeps
// the default run near 10 minutes on 2 cores. Python: FEDALN_PYTHON, else /usr/bin/python3 (Debian's
// python3-torch and python3-torchvision).
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Architecture, buildModel, type EngineName, selectEngine } from '@fedaln/model';
import { benchFlags, type BenchFlags } from './support/flags';

export interface BenchArgs {
  json: boolean;
  archs: Architecture[];
  sizes: number[];
  engines: EngineName[];
  batch: number;
  reps: number;
  budgetS: number;
}

/** The flags shared by the model and train benchmarks (lists comma-separated), with this one's defaults. */
export const MODEL_BENCH_FLAGS = {
  json: false,
  arch: 'densenet-tiny,densenet201',
  size: '64,128,224',
  engine: 'wasm,cpu',
  batch: 8,
  reps: 3,
  budget: 40,
};

/** The shared flags as the benchmarks use them. */
export function benchArgs(flags: BenchFlags<typeof MODEL_BENCH_FLAGS>): BenchArgs {
  return {
    json: flags.json,
    archs: flags.arch.split(',') as Architecture[],
    sizes: flags.size
      .split(',')
      .map(Number)
      .sort((a, b) => a - b),
    engines: flags.engine.split(',') as EngineName[],
    batch: flags.batch,
    reps: flags.reps,
    budgetS: flags.budget,
  };
}

export interface TorchFigures {
  forward_img_per_s: number;
  train_img_per_s: number;
  torch: string;
  threads: number;
}

/** Runs the torch peer once for (arch, size, batch); cached for the run. */
const torchCache = new Map<string, TorchFigures>();
export function torchPeer(
  arch: string,
  size: number,
  batch: number,
  reps: number,
  budgetS: number,
): TorchFigures {
  const key = `${arch}/${size}/${batch}`;
  const cached = torchCache.get(key);
  if (cached) return cached;
  const python = process.env.FEDALN_PYTHON ?? '/usr/bin/python3';
  const script = join(__dirname, 'peers', 'torch_densenet.py');
  const args = [script, arch, String(size), String(batch), String(reps), String(budgetS), '2'];
  const peer = spawnSync(python, args, { encoding: 'utf8' });
  if (peer.status !== 0) {
    throw new Error(
      `torch peer failed (${peer.status}): ${peer.stderr}; install python3-torch and python3-torchvision or set FEDALN_PYTHON`,
    );
  }
  const figures = JSON.parse(peer.stdout) as TorchFigures;
  torchCache.set(key, figures);
  return figures;
}

/**
 * Best time in seconds of `f` over up to `reps` runs after a warm-up, within `budgetS`; when the
 * warm-up alone takes more than half the budget, the warm-up is the measurement (`single: true`).
 */
export async function bestOf(
  reps: number,
  budgetS: number,
  f: () => Promise<void>,
): Promise<{ seconds: number; runs: number; single: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const t0 = performance.now();
  await f();
  const warm = (performance.now() - t0) / 1000;
  if (warm > budgetS / 2) return { seconds: warm, runs: 1, single: true };
  let best = Infinity;
  let runs = 0;
  while (runs < reps) {
    gc?.();
    const t = performance.now();
    await f();
    best = Math.min(best, (performance.now() - t) / 1000);
    runs++;
    if ((performance.now() - t0) / 1000 > budgetS) break;
  }
  return { seconds: best, runs, single: false };
}

/** Seconds of one forward pass of `batch` images and of one training step, or why it was skipped. */
interface Measured {
  forwardS?: number;
  trainS?: number;
  skipped?: string;
  trainPeakMb?: number;
  single?: boolean;
}

/** Per (engine, arch): seconds per image·pixel of the last size measured, to estimate the next. */
const perPixel = new Map<string, { forward: number; step: number; peakMb?: number }>();

/** wasm's heap is 4 GiB; leave room for weights, Adam slots and fragmentation. */
const WASM_TRAIN_MB = 3000;

async function measure(
  engine: EngineName,
  arch: Architecture,
  size: number,
  a: BenchArgs,
): Promise<Measured> {
  const key = `${engine}/${arch}`;
  const pixels = a.batch * size * size;
  const model = buildModel({ arch, inputSize: size, head: 'binary', seed: 1 });
  const x = tf.randomUniform([a.batch, size, size, 3], -2, 2, 'float32', 7);
  const y = tf.tensor2d(
    Array.from({ length: a.batch }, (_, i) => i % 2),
    [a.batch, 1],
  );
  const forward = async (): Promise<void> => {
    const p = model.predict(x) as tf.Tensor;
    await p.data();
    p.dispose();
  };
  try {
    const prior = perPixel.get(key);
    let forwardEstimate: number;
    if (prior) forwardEstimate = prior.forward * pixels;
    else {
      const t = performance.now();
      const p = model.predict(tf.slice(x, 0, 1)) as tf.Tensor;
      await p.data();
      tf.dispose(p);
      forwardEstimate = ((performance.now() - t) / 1000) * a.batch;
    }
    if (forwardEstimate > a.budgetS) {
      return {
        skipped: `estimated ${forwardEstimate.toFixed(0)} s per forward batch > budget ${a.budgetS} s`,
      };
    }
    const fwd = await bestOf(a.reps, a.budgetS, forward);
    // Step/forward ratio of the previous size of this engine and arch, else 6 (wasm measured ~5–12).
    const stepEstimate = fwd.seconds * (prior ? prior.step / prior.forward : 6);
    if (stepEstimate > a.budgetS * 2) {
      perPixel.set(key, { forward: fwd.seconds / pixels, step: stepEstimate / pixels });
      return {
        forwardS: fwd.seconds,
        skipped: `train: estimated ${stepEstimate.toFixed(0)} s per step > 2 × budget ${a.budgetS} s`,
      };
    }
    const peakEstimate = prior?.peakMb === undefined ? undefined : prior.peakMb * pixels;
    if (engine === 'wasm' && peakEstimate !== undefined && peakEstimate > WASM_TRAIN_MB) {
      perPixel.set(key, {
        forward: fwd.seconds / pixels,
        step: stepEstimate / pixels,
        peakMb: prior!.peakMb,
      });
      return {
        forwardS: fwd.seconds,
        skipped: `train: estimated peak ${peakEstimate.toFixed(0)} MB > ${WASM_TRAIN_MB} MB of wasm's 4 GiB heap (bench train micro-batches)`,
      };
    }
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer = tf.train.adam(1e-4);
    const step = async (): Promise<void> => {
      const loss = tf.tidy(
        () =>
          optimizer.minimize(
            () => tf.losses.logLoss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
            variables,
          ) as tf.Scalar,
      );
      await loss.data();
      loss.dispose();
    };
    const train = await bestOf(a.reps, a.budgetS, step);
    // Peak tensor memory of a step, from one extra profiled step (tf.profile slows kernels down, so
    // it is not timed), when a step is cheap enough to repeat.
    const trainPeakMb =
      train.seconds < a.budgetS / 4 ? (await tf.profile(step)).peakBytes / 2 ** 20 : undefined;
    optimizer.dispose();
    perPixel.set(key, {
      forward: fwd.seconds / pixels,
      step: train.seconds / pixels,
      peakMb: trainPeakMb === undefined ? prior?.peakMb : trainPeakMb / pixels,
    });
    return { forwardS: fwd.seconds, trainS: train.seconds, trainPeakMb, single: train.single };
  } catch (err) {
    return { skipped: `failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

const round = (v: number | undefined, digits = 3): number | undefined =>
  v === undefined ? undefined : Number(v.toPrecision(digits));

async function main(): Promise<void> {
  const a = benchArgs(benchFlags(MODEL_BENCH_FLAGS));
  const started = performance.now();
  const load = os.loadavg()[0]!.toFixed(1);
  if (!a.json) {
    console.log(
      `DenseNet images/s, batch ${a.batch}, best of ${a.reps} within a ${a.budgetS} s budget per measurement ` +
        `(slower measurements are single runs or skipped, see "skipped"); load ${load} on ${os.availableParallelism()} cores`,
    );
  }
  for (const engine of a.engines) {
    await selectEngine(engine);
    for (const arch of a.archs) {
      for (const size of a.sizes) {
        const m = await measure(engine, arch, size, a);
        const t = torchPeer(arch, size, a.batch, a.reps, a.budgetS);
        const fwd = m.forwardS === undefined ? undefined : a.batch / m.forwardS;
        const trn = m.trainS === undefined ? undefined : a.batch / m.trainS;
        const row = {
          name: 'model',
          arch,
          size,
          engine,
          batch: a.batch,
          forward_img_per_s: round(fwd),
          train_img_per_s: round(trn),
          torch_forward_img_per_s: round(t.forward_img_per_s),
          torch_train_img_per_s: round(t.train_img_per_s),
          ratio_vs_torch_forward: round(fwd && fwd / t.forward_img_per_s),
          ratio_vs_torch_train: round(trn && trn / t.train_img_per_s),
          train_peak_mb: round(m.trainPeakMb),
          ...(m.single ? { train_single_step: true } : {}),
          ...(m.skipped ? { skipped: m.skipped } : {}),
          load_1min: Number(load),
        };
        if (a.json) console.log(JSON.stringify(row));
        else {
          const f = (v: number | undefined): string => (v === undefined ? '—' : String(v));
          console.log(
            `${engine.padEnd(5)} ${arch.padEnd(13)} ${String(size).padStart(3)} px  forward ${f(row.forward_img_per_s)} img/s ` +
              `(torch ${f(row.torch_forward_img_per_s)}, ratio ${f(row.ratio_vs_torch_forward)})  train ${f(row.train_img_per_s)} img/s ` +
              `(torch ${f(row.torch_train_img_per_s)}, ratio ${f(row.ratio_vs_torch_train)})` +
              (m.trainPeakMb ? `  peak ${row.train_peak_mb} MB` : '') +
              (m.skipped ? `  [skipped: ${m.skipped}]` : ''),
          );
        }
      }
    }
  }
  if (!a.json) console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
