/**
 * Where a data-parallel step's rows come from: the images (augmented as trainModel does), or, with
 * `cacheFrozen`, the cached output of the frozen prefix (frozen-prefix.ts), in which case the
 * workers train only the suffix model.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentOptions } from '../images/augment';
import { assembleBatch, type BatchArrays } from '../train/batch';
import type { ClassWeights } from '../train/loss';
import type { TrainableScope } from '../train/scope';
import type { TrainingSet } from '../train/train-model';
import { prefixFeatures, splitAtBlock } from './frozen-prefix';

export interface BatchSource {
  /** The model the workers train (the whole model, or the suffix sharing its layers). */
  trained: tfl.LayersModel;
  /** Values per row of `x`. */
  rowValues: number;
  batch(indices: readonly number[], epoch: number): BatchArrays;
}

export interface BatchSourceSpec {
  model: tfl.LayersModel;
  dataset: TrainingSet;
  size: number;
  weights: ClassWeights;
  augmentOptions: AugmentOptions | null;
  seed: number;
  scope: TrainableScope;
  cacheFrozen: boolean;
  batchSize: number;
}

/**
 * The batches of a run.
 * @example const source = await batchSource({ model, dataset, size: 224, weights, augmentOptions: null, seed: 1, scope: { fromBlock: 4 }, cacheFrozen: true, batchSize: 8 });
 */
export async function batchSource(spec: BatchSourceSpec): Promise<BatchSource> {
  const { model, dataset, size, weights, augmentOptions, seed, scope } = spec;
  if (!spec.cacheFrozen) {
    return {
      trained: model,
      rowValues: size * size * 3,
      batch: (indices, epoch) =>
        assembleBatch({
          ...dataset,
          indices,
          size,
          weights,
          augment: augmentOptions && { seed, epoch, options: augmentOptions },
        }),
    };
  }
  if (typeof scope !== 'object') {
    throw new Error(`cacheFrozen needs scope { fromBlock: K } (from-block-K); got ${JSON.stringify(scope)}`);
  }
  if (augmentOptions) {
    throw new Error(
      'cacheFrozen needs augment: false (augmentation changes the frozen part’s input every epoch)',
    );
  }
  const { prefix, suffix } = splitAtBlock(model, scope.fromBlock);
  const features = await prefixFeatures(prefix, dataset.images, spec.batchSize);
  const rowValues = features[0]!.length;
  return {
    trained: suffix,
    rowValues,
    batch: (indices) => {
      const x = new Float32Array(indices.length * rowValues);
      const y = new Float32Array(indices.length);
      const w = new Float32Array(indices.length);
      indices.forEach((index, k) => {
        x.set(features[index]!, k * rowValues);
        y[k] = dataset.labels[index]!;
        w[k] = y[k] === 1 ? weights[1] : weights[0];
      });
      return { x, y, w };
    },
  };
}
