/**
 * Local training of a binary (sigmoid) model: Adam on class-weighted binary cross-entropy
 * (loss.ts), a custom loop so that shuffling, augmentation and dropout all come from our seed.
 * Same seed, same data, same engine → identical weights. Every step runs inside `tf.tidy`; the
 * optimizer's slots are disposed at the end, so training leaves no tensors behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type AugmentOptions, DEFAULT_AUGMENT } from '../images/augment';
import { modelInputSize } from '../images/model-input';
import { assembleBatch } from './batch';
import { recalibrateBatchNorm } from './batchnorm-recalibration';
import { installTrainingModes } from './layer-modes';
import { variableGradsLowMemory } from './low-memory-gradients';
import {
  type ClassWeighting,
  type ClassWeights,
  resolveClassWeights,
  weightedBinaryCrossEntropy,
} from './loss';
import { createPrng, deriveSeed, shuffledIndices } from '@fedaln/site-data';
import { applyTrainableScope, type TrainableScope } from './scope';
import { ProximalTerm } from './proximal-term';

/** Training cases: normalised HWC images of the model's input size and their 0/1 labels. */
export interface TrainingSet {
  images: readonly Float32Array[];
  labels: readonly number[];
}

export interface BatchProgress {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  batches: number;
  /** Loss of this batch. */
  loss: number;
  /** Images per second over the run so far. */
  imagesPerSecond: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Default `all`. */
  scope?: TrainableScope;
  /** Default `balanced` (n/(2·n_c)). */
  classWeights?: ClassWeighting;
  /** `true` (default) for DEFAULT_AUGMENT, `false` for none, or custom ranges. */
  augment?: boolean | AugmentOptions;
  onBatch?: (progress: BatchProgress) => void;
  /**
   * Re-estimate trainable BatchNorm moving statistics on the (unaugmented) training images after the
   * last step (batchnorm-recalibration.ts); default true.
   */
  recalibrateBatchNorm?: boolean;
  /** Aborts between batches (e.g. a round deadline). */
  signal?: AbortSignal;
  /**
   * FedProx (proximal-term.ts): adds μ/2·‖w − w_start‖² over the trainable weights to the loss, w_start
   * being their values when training starts (the round's global model). Absent or μ = 0: plain training.
   */
  proximal?: { mu: number };
}

export interface TrainResult {
  /** Mean batch loss of each epoch. */
  epochLosses: number[];
  steps: number;
  imagesPerSecond: number;
  classWeights: ClassWeights;
}

/**
 * A training run's tally, shared by {@link trainModel} and `trainModelParallel`: steps, images seen
 * and the mean loss of each epoch, with the `onBatch` progress report after each step.
 *
 * @example
 * const tally = new TrainingTally(options.onBatch);
 * tally.step(epoch, batch, batches, loss, rows); // per step
 * tally.endEpoch(batches);                       // per epoch
 * return tally.result(classWeights);
 */
export class TrainingTally {
  readonly epochLosses: number[] = [];
  private stepCount = 0;
  private imagesSeen = 0;
  private lossSum = 0;
  private readonly started = Date.now();

  constructor(private readonly onBatch?: TrainOptions['onBatch']) {}

  /** Steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Records one optimisation step over `rows` images with mean loss `loss`, and reports it. */
  step(epoch: number, batch: number, batches: number, loss: number, rows: number): void {
    this.lossSum += loss;
    this.stepCount++;
    this.imagesSeen += rows;
    this.onBatch?.({ epoch, batch, batches, loss, imagesPerSecond: this.imagesPerSecond() });
  }

  /** Closes an epoch of `batches` steps: its mean batch loss. */
  endEpoch(batches: number): void {
    this.epochLosses.push(this.lossSum / batches);
    this.lossSum = 0;
  }

  result(classWeights: ClassWeights): TrainResult {
    return {
      epochLosses: this.epochLosses,
      steps: this.stepCount,
      imagesPerSecond: this.imagesPerSecond(),
      classWeights,
    };
  }

  private imagesPerSecond(): number {
    return this.imagesSeen / Math.max((Date.now() - this.started) / 1000, 1e-3);
  }
}

function checkOptions(o: TrainOptions, n: number): void {
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (!positiveInt(o.epochs)) throw new Error(`epochs ${o.epochs} is not a positive integer`);
  if (!positiveInt(o.batchSize)) throw new Error(`batch size ${o.batchSize} is not a positive integer`);
  if (!(o.learningRate > 0)) throw new Error(`learning rate ${o.learningRate} is not positive`);
  if (!Number.isInteger(o.seed)) throw new Error(`seed ${o.seed} is not an integer`);
  if (n === 0) throw new Error('the training set is empty');
  const mu = o.proximal?.mu;
  if (mu !== undefined && !(Number.isFinite(mu) && mu >= 0))
    throw new Error(`FedProx mu ${mu} is not a finite number ≥ 0 (strategy.mu of the study spec)`);
}

/** What a training run derives from its inputs, checked (shared by trainModel and trainModelParallel). */
export interface TrainingPlan {
  n: number;
  size: number;
  weights: ClassWeights;
  augmentOptions: AugmentOptions | null;
  batches: number;
}

/**
 * Checks the options and the training set and derives the run's plan; throws naming the bad value.
 * @example const { batches } = planTraining(model, { images, labels }, { epochs: 1, batchSize: 8, learningRate: 1e-4, seed: 1 });
 */
export function planTraining(
  model: tfl.LayersModel,
  dataset: TrainingSet,
  options: TrainOptions,
): TrainingPlan {
  const n = dataset.images.length;
  checkOptions(options, n);
  if (dataset.labels.length !== n) {
    throw new Error(`the training set has ${n} images but ${dataset.labels.length} labels`);
  }
  const bad = dataset.labels.findIndex((y) => y !== 0 && y !== 1);
  if (bad >= 0) throw new Error(`label ${bad} is ${dataset.labels[bad]}; expected 0 or 1`);
  const size = modelInputSize(model);
  const weights = resolveClassWeights(options.classWeights ?? 'balanced', dataset.labels);
  const augmentOptions =
    options.augment === false
      ? null
      : options.augment === true || !options.augment
        ? DEFAULT_AUGMENT
        : options.augment;
  return { n, size, weights, augmentOptions, batches: Math.ceil(n / options.batchSize) };
}

/**
 * Trains `model` in place.
 * @example
 * const result = await trainModel(model, { images, labels }, {
 *   epochs: 5, batchSize: 16, learningRate: 1e-4, seed: 1, scope: { fromBlock: 5 },
 *   onBatch: (p) => console.log(p.epoch, p.batch, p.loss.toFixed(3)),
 * });
 */
export async function trainModel(
  model: tfl.LayersModel,
  dataset: TrainingSet,
  options: TrainOptions,
): Promise<TrainResult> {
  const { n, size, weights, augmentOptions, batches } = planTraining(model, dataset, options);
  const { seed, batchSize, epochs } = options;

  const restoreScope = applyTrainableScope(model, options.scope ?? 'all');
  const modes = installTrainingModes(model, seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(options.learningRate);
  const tally = new TrainingTally(options.onBatch);
  const prox = options.proximal?.mu ? new ProximalTerm(options.proximal.mu, variables) : null;
  try {
    if (variables.length === 0) throw new Error(`model ${model.name} has no trainable weights in this scope`);
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(n, createPrng(deriveSeed(seed, epoch)));
      for (let batch = 0; batch < batches; batch++) {
        if (options.signal?.aborted) throw new Error(`training aborted at epoch ${epoch}, batch ${batch}`);
        const indices = order.slice(batch * batchSize, (batch + 1) * batchSize);
        const augment = augmentOptions && { seed, epoch, options: augmentOptions };
        const arrays = assembleBatch({ ...dataset, indices, size, weights, augment });
        modes.setStep(tally.steps);
        const lossTensor = tf.tidy(() => {
          const x = tf.tensor4d(arrays.x, [indices.length, size, size, 3]);
          const y = tf.tensor2d(arrays.y, [indices.length, 1]);
          const w = tf.tensor2d(arrays.w, [indices.length, 1]);
          const lossFn = (): tf.Scalar =>
            weightedBinaryCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor, w);
          // optimizer.minimize, with the backward pass freeing memory as it goes.
          const { value, grads } = variableGradsLowMemory(lossFn, variables);
          if (!prox) {
            optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
            return value;
          }
          // The proximal term before the step, as its gradient: FedProx's local objective h(w).
          const objective = tf.add(value, prox.value());
          optimizer.applyGradients(prox.addGradients(grads));
          return objective;
        });
        const loss = (await lossTensor.data())[0]!;
        lossTensor.dispose();
        tally.step(epoch, batch, batches, loss, indices.length);
        // Let sockets and timers run between steps (a site client keeps its heartbeat).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      tally.endEpoch(batches);
    }
    // Inside the scope: only the BN layers this run trained get new statistics.
    if (options.recalibrateBatchNorm !== false)
      await recalibrateBatchNorm(model, dataset.images, { batchSize });
  } finally {
    optimizer.dispose();
    prox?.dispose();
    modes.restore();
    restoreScope();
  }
  return tally.result(weights);
}
