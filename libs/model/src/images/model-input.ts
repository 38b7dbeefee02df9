import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The side S of a model's square RGB input `[null, S, S, 3]` (the size images are decoded to).
 * @example modelInputSize(buildModel({ arch: 'densenet-tiny', inputSize: 64 })) // 64
 */
export function modelInputSize(model: tfl.LayersModel): number {
  const shape = model.inputs[0]?.shape;
  const size = shape?.[1];
  if (!shape || shape.length !== 4 || size == null || shape[2] !== size || shape[3] !== 3) {
    throw new Error(`model ${model.name} input is ${JSON.stringify(shape)}; expected [null, S, S, 3]`);
  }
  return size;
}
