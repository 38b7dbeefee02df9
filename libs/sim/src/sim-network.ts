/**
 * The network of a simulated study, built once and reused: every site's local training and every
 * prediction loads its weights into the same tfjs model, with the real federation's code
 * (`buildModel`, `setNamedWeights`, `trainModel`, `predictProbabilities` of @fedaln/model).
 */
import type { WeightTensor } from '@fedaln/aggregation';
import {
  adaptBatchNorm,
  type Architecture,
  buildModel,
  namedWeights,
  predictProbabilities,
  setNamedWeights,
  trainModel,
} from '@fedaln/model';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SimCase } from './sim-cohort';

/** What a site's local training runs with (the study spec's architecture and training fields). */
export interface LocalTraining {
  arch: Architecture;
  inputSize: number;
  /** Local epochs per round (or per run, for centralised and local-only training). */
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export class SimNetwork {
  private readonly model: tfl.LayersModel;

  /** `initSeed` seeds the initial weights ({@link initialWeights}). */
  constructor(
    readonly training: LocalTraining,
    initSeed: number,
  ) {
    this.model = buildModel({
      arch: training.arch,
      inputSize: training.inputSize,
      head: 'binary',
      seed: initSeed,
    });
    this.initial = namedWeights(this.model);
  }

  /** The randomly initialised weights every strategy of a run starts from. */
  readonly initial: WeightTensor[];

  /**
   * Trains from `weights` on `cases` with the training seed `seed` and returns the new weights;
   * `weights` is not changed. `epochs` defaults to the local epochs and `learningRate` to the
   * study's; `mu` > 0 adds FedProx's proximal term towards `weights` (trainModel's `proximal` option).
   */
  async train(
    weights: readonly WeightTensor[],
    cases: readonly SimCase[],
    seed: number,
    options: { epochs?: number; mu?: number; learningRate?: number } = {},
  ): Promise<WeightTensor[]> {
    setNamedWeights(this.model, weights);
    await trainModel(
      this.model,
      { images: cases.map((c) => c.image), labels: cases.map((c) => c.label) },
      {
        epochs: options.epochs ?? this.training.epochs,
        batchSize: this.training.batchSize,
        learningRate: options.learningRate ?? this.training.learningRate,
        seed,
        ...(options.mu ? { proximal: { mu: options.mu } } : {}),
      },
    );
    return namedWeights(this.model);
  }

  /** `weights` with every BatchNorm layer's statistics re-estimated on a new site's images (AdaBN). */
  async adapt(weights: readonly WeightTensor[], cases: readonly SimCase[]): Promise<WeightTensor[]> {
    setNamedWeights(this.model, weights);
    await adaptBatchNorm(
      this.model,
      cases.map((c) => c.image),
      { batchSize: this.training.batchSize },
    );
    return namedWeights(this.model);
  }

  /** P(ALN metastasis) of each case under `weights`. */
  async predict(weights: readonly WeightTensor[], cases: readonly SimCase[]): Promise<Float32Array> {
    setNamedWeights(this.model, weights);
    return predictProbabilities(
      this.model,
      cases.map((c) => c.image),
      { batchSize: 32 },
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}
