/**
 * Batched inference of a binary (sigmoid) model: images as file paths (decoded with
 * images/decode.ts) or normalised HWC Float32Arrays → the probability of ALN metastasis per image.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadImage } from './images/decode';
import { modelInputSize } from './images/model-input';

export interface PredictOptions {
  /** Images per forward pass; default 16. */
  batchSize?: number;
  /** Called after each batch with the number of images done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Predicts probabilities in input order. Paths are decoded per batch, so memory stays O(batch).
 * @example
 * const p = await predictProbabilities(model, ['a.png', 'b.jpg'], { batchSize: 8 });
 * p[0]; // P(ALN metastasis | a.png)
 */
export async function predictProbabilities(
  model: tfl.LayersModel,
  images: readonly (string | Float32Array)[],
  options: PredictOptions = {},
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size ${batchSize} is not a positive integer`);
  }
  const size = modelInputSize(model);
  const pixels = size * size * 3;
  const out = new Float32Array(images.length);
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const x = new Float32Array(chunk.length * pixels);
    for (const [k, image] of chunk.entries()) {
      const data = typeof image === 'string' ? await loadImage(image, size) : image;
      if (data.length !== pixels) {
        throw new Error(
          `image ${start + k} has ${data.length} values; the model expects ${size}×${size}×3 = ${pixels}`,
        );
      }
      x.set(data, k * pixels);
    }
    const probabilities = tf.tidy(() => {
      const y = model.predict(tf.tensor4d(x, [chunk.length, size, size, 3])) as tf.Tensor;
      if (y.shape.length !== 2 || y.shape[1] !== 1) {
        throw new Error(`model ${model.name} output is ${JSON.stringify(y.shape)}; expected [batch, 1]`);
      }
      return y;
    });
    out.set(await probabilities.data(), start);
    probabilities.dispose();
    options.onProgress?.(Math.min(start + batchSize, images.length), images.length);
  }
  return out;
}
