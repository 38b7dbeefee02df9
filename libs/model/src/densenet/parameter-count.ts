import type * as tfl from '@tensorflow/tfjs-layers';

export interface ParameterCount {
  /** All weights, as Keras's `model.count_params()` ("Total params" in `summary()`). */
  params: number;
  /** Weights a fit updates (BatchNorm moving statistics are not). */
  trainableParams: number;
}

/**
 * Counts weights from their shapes (product of each shape, summed), without reading values.
 *
 * @example countParameters(buildModel({ arch: 'densenet201', head: 'imagenet' })).params // 20242984
 */
export function countParameters(model: tfl.LayersModel): ParameterCount {
  // Weight shapes are always concrete; `?? 0` only satisfies the `Shape` type.
  const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b ?? 0), 1);
  let params = 0;
  let trainableParams = 0;
  for (const w of model.weights) {
    const n = size(w.shape);
    params += n;
    if (w.trainable) trainableParams += n;
  }
  return { params, trainableParams };
}
