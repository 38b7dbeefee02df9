/**
 * Local training with patient-level differential privacy: DP-SGD (Abadi et al. 2016) with Poisson
 * sampling, the mechanism the RDP accountant of @fedaln/privacy (sampled Gaussian, Mironov, Talwar &
 * Zhang 2019) charges for. Each of the `steps` steps includes every training record independently with
 * probability q, clips each included record's gradient to C, adds N(0, σ²C²) to the sum and divides
 * by q·n (dp-sgd.ts); Adam then applies it (post-processing, no further privacy cost). One record is
 * one patient (the site folder has one image per case).
 *
 * What differs from {@link trainModel}, and why:
 *  - BatchNormalization runs in inference mode (moving statistics, no update) and its γ/β are not
 *    trained: batch statistics would mix records inside a step, and moving statistics updated from the
 *    data (or the usual recalibration after training) would leak them without noise.
 *  - The number of steps is the study's (⌈local_epochs / q⌉, what the coordinator charges), not
 *    epochs × ⌈n / batch⌉; a step's batch may be empty (its gradient is then noise only).
 *  - Sampling and noise come from `randomness`: a CSPRNG by default, a seeded one in tests.
 * Dropout and augmentation stay per example (seeded from the training seed, as in trainModel). FedProx's
 * proximal term (`proximal`) is added to the noisy gradient: its gradient μ(w − w_global) depends on no
 * record, so it costs no privacy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { assembleBatch } from './batch';
import { cryptoDpRandomness, type DpRandomness } from './dp-randomness';
import { clippedGradientSum, noisyGradients } from './dp-sgd';
import { installTrainingModes } from './layer-modes';
import { ProximalTerm } from './proximal-term';
import { weightedBinaryCrossEntropy } from './loss';
import { applyTrainableScope } from './scope';
import {
  planTraining,
  type TrainingSet,
  type TrainOptions,
  type TrainResult,
  TrainingTally,
} from './train-model';

/** A study's DP-SGD settings as the training task carries them. */
export interface DpSgdSettings {
  /** σ: noise standard deviation / clip norm. */
  noiseMultiplier: number;
  /** C: each record's gradient is clipped to this L2 norm. */
  clipNorm: number;
  /** q: the probability that a record is in a step's batch. */
  samplingRate: number;
  /** The number of noisy steps of this run (the study's steps per round). */
  steps: number;
}

export interface DpSgdTrainOptions extends TrainOptions {
  dp: DpSgdSettings;
  /** Default {@link cryptoDpRandomness}; tests pass `seededDpRandomness(seed)`. */
  randomness?: DpRandomness;
}

export interface DpSgdTrainResult extends TrainResult {
  /** Records in each step's batch (Poisson sampling). */
  batchSizes: number[];
  /** The fraction of per-record gradients that were clipped (their norm was above C). */
  clippedFraction: number;
}

function checkDp({ noiseMultiplier, clipNorm, samplingRate, steps }: DpSgdSettings): void {
  if (!(noiseMultiplier >= 0 && Number.isFinite(noiseMultiplier)))
    throw new RangeError(`dp noise multiplier ${noiseMultiplier} is not a finite number ≥ 0`);
  if (!(clipNorm > 0)) throw new RangeError(`dp clip norm ${clipNorm} is not positive`);
  if (!(samplingRate > 0 && samplingRate <= 1))
    throw new RangeError(`dp sampling rate ${samplingRate} is not in (0, 1]`);
  if (!(Number.isInteger(steps) && steps > 0))
    throw new RangeError(`dp steps ${steps} is not a positive integer`);
}

/** Makes every BatchNormalization layer non-trainable (so layer-modes runs it in inference mode). */
function freezeBatchNorm(model: tfl.LayersModel): () => void {
  const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  const previous = bns.map((l) => l.trainable);
  bns.forEach((l) => (l.trainable = false));
  return () => bns.forEach((l, i) => (l.trainable = previous[i]!));
}

/**
 * Trains `model` in place with DP-SGD.
 * @example
 * await trainModelDpSgd(model, { images, labels }, {
 *   epochs: 1, batchSize: 16, learningRate: 1e-3, seed: 1,
 *   dp: { noiseMultiplier: 1.1, clipNorm: 1, samplingRate: 0.05, steps: 20 },
 * });
 */
export async function trainModelDpSgd(
  model: tfl.LayersModel,
  dataset: TrainingSet,
  options: DpSgdTrainOptions,
): Promise<DpSgdTrainResult> {
  const { n, size, weights, augmentOptions } = planTraining(model, dataset, options);
  const { dp, seed } = options;
  checkDp(dp);
  const randomness = options.randomness ?? cryptoDpRandomness();
  const stepsPerEpoch = Math.max(1, Math.round(1 / dp.samplingRate));

  const restoreScope = applyTrainableScope(model, options.scope ?? 'all');
  const restoreBatchNorm = freezeBatchNorm(model);
  const modes = installTrainingModes(model, seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(options.learningRate);
  const prox = options.proximal?.mu ? new ProximalTerm(options.proximal.mu, variables) : null;
  const tally = new TrainingTally(options.onBatch);
  const batchSizes: number[] = [];
  let examples = 0;
  let clipped = 0;
  try {
    if (variables.length === 0) throw new Error(`model ${model.name} has no trainable weights in this scope`);
    for (let step = 0; step < dp.steps; step++) {
      if (options.signal?.aborted) throw new Error(`training aborted at DP-SGD step ${step} of ${dp.steps}`);
      const indices: number[] = [];
      for (let i = 0; i < n; i++) if (randomness.uniform() < dp.samplingRate) indices.push(i);
      const augment = augmentOptions && { seed, epoch: step, options: augmentOptions };
      const arrays = assembleBatch({ ...dataset, indices, size, weights, augment });
      const pixels = size * size * 3;
      const exampleLoss = (k: number): tf.Scalar => {
        // A fresh dropout mask for every example of every step.
        modes.setStep(examples + k);
        const x = tf.tensor4d(arrays.x.subarray(k * pixels, (k + 1) * pixels), [1, size, size, 3]);
        const y = tf.tensor2d([arrays.y[k]!], [1, 1]);
        const w = tf.tensor2d([arrays.w[k]!], [1, 1]);
        return weightedBinaryCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor, w);
      };
      const { sums, norms, lossSum } = clippedGradientSum(
        exampleLoss,
        indices.length,
        variables,
        dp.clipNorm,
      );
      const grads = noisyGradients(
        sums,
        { noiseMultiplier: dp.noiseMultiplier, clipNorm: dp.clipNorm, denominator: dp.samplingRate * n },
        randomness,
      );
      tf.dispose(sums);
      const named = variables.map((v, i) => ({ name: v.name, tensor: grads[i]! }));
      const applied = prox
        ? prox.addGradients(Object.fromEntries(named.map(({ name, tensor }) => [name, tensor])))
        : named;
      optimizer.applyGradients(applied);
      tf.dispose(applied.map((g) => g.tensor));
      examples += indices.length;
      clipped += norms.filter((norm) => norm > dp.clipNorm).length;
      batchSizes.push(indices.length);
      const epoch = Math.floor(step / stepsPerEpoch);
      const loss = indices.length > 0 ? lossSum / indices.length : 0;
      tally.step(epoch, step % stepsPerEpoch, stepsPerEpoch, loss, indices.length);
      if ((step + 1) % stepsPerEpoch === 0 || step + 1 === dp.steps)
        tally.endEpoch((step % stepsPerEpoch) + 1);
      // Let sockets and timers run between steps (a site client keeps its heartbeat).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    optimizer.dispose();
    prox?.dispose();
    modes.restore();
    restoreBatchNorm();
    restoreScope();
  }
  return { ...tally.result(weights), batchSizes, clippedFraction: examples > 0 ? clipped / examples : 0 };
}
