/**
 * AdaBN (Li, Wang, Shi, Liu & Hou, "Revisiting Batch Normalization For Practical Domain Adaptation",
 * ICLR 2017 workshop / arXiv:1603.04779, 2016): a model trained elsewhere is adapted to a new domain by
 * replacing every BatchNormalization layer's moving mean and variance with the statistics of the new
 * domain's images, μ_j = E[x_j], σ²_j = Var[x_j] of each channel's input over the target images; no
 * label and no weight changes. The estimation is recalibrateBatchNorm's (the mean of per-batch
 * statistics, every BN layer in turn seeing the already-adapted layers before it).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { recalibrateBatchNorm } from './batchnorm-recalibration';

/**
 * Re-estimates the moving statistics of every BatchNormalization layer of `model` (frozen or not) on
 * `images` (normalised HWC of the model's input size); γ, β and all other weights stay.
 * @example await adaptBatchNorm(model, unlabelledImages, { batchSize: 16 });
 */
export async function adaptBatchNorm(
  model: tfl.LayersModel,
  images: readonly Float32Array[],
  options: { batchSize: number },
): Promise<void> {
  if (images.length === 0) throw new Error('AdaBN needs at least one image of the new site');
  if (!(Number.isInteger(options.batchSize) && options.batchSize > 0))
    throw new Error(`batch size ${options.batchSize} is not a positive integer`);
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  const trainable = layers.map((l) => l.trainable);
  layers.forEach((l) => (l.trainable = true));
  try {
    await recalibrateBatchNorm(model, images, options);
  } finally {
    layers.forEach((l, i) => (l.trainable = trainable[i]!));
  }
}
