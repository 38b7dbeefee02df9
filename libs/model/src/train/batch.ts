/**
 * Assembles one training batch (images stacked NHWC, labels, per-sample class weights) from
 * normalised HWC Float32Arrays, augmenting each image with its (seed, epoch, index) draw.
 */
import { type AugmentOptions, augmentImage } from '../images/augment';
import type { ClassWeights } from './loss';

export interface BatchArrays {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
}

export interface BatchSpec {
  images: readonly Float32Array[];
  labels: readonly number[];
  indices: readonly number[];
  size: number;
  weights: ClassWeights;
  /** Augmentation, or null for none. */
  augment: { seed: number; epoch: number; options: AugmentOptions } | null;
}

/**
 * Builds the arrays of one batch.
 * @example const { x, y, w } = assembleBatch({ images, labels, indices: [3, 0], size: 32, weights, augment: null });
 */
export function assembleBatch(spec: BatchSpec): BatchArrays {
  const { images, labels, indices, size, weights, augment } = spec;
  const pixels = size * size * 3;
  const x = new Float32Array(indices.length * pixels);
  const y = new Float32Array(indices.length);
  const w = new Float32Array(indices.length);
  indices.forEach((index, k) => {
    const image = images[index]!;
    if (image.length !== pixels) {
      throw new Error(
        `image ${index} has ${image.length} values; the model expects ${size}×${size}×3 = ${pixels}`,
      );
    }
    x.set(augment ? augmentImage(image, size, { ...augment, index }, augment.options) : image, k * pixels);
    const label = labels[index]!;
    y[k] = label;
    w[k] = label === 1 ? weights[1] : weights[0];
  });
  return { x, y, w };
}
