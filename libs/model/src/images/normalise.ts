/**
 * Keras DenseNet input normalisation. `keras.applications.densenet.preprocess_input` calls
 * `imagenet_utils.preprocess_input(x, mode="torch")`, which computes, per RGB channel c,
 *
 *   x' = (x / 255 − mean[c]) / std[c],  mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
 *
 * (keras/src/applications/imagenet_utils.py, `_preprocess_numpy_input`, mode "torch"; the same
 * ImageNet statistics as torchvision's `Normalize`). ImageNet-pretrained DenseNet201 weights expect it.
 */

/** ImageNet channel means (RGB) on the [0, 1] scale. */
export const IMAGENET_MEAN: readonly [number, number, number] = Object.freeze([0.485, 0.456, 0.406]);
/** ImageNet channel standard deviations (RGB) on the [0, 1] scale. */
export const IMAGENET_STD: readonly [number, number, number] = Object.freeze([0.229, 0.224, 0.225]);

/**
 * Normalises interleaved 8-bit RGB (HWC) into a new Float32Array.
 * @example normaliseRgb(new Uint8Array([255, 0, 128])) // ≈ [2.2489, -2.0357, 0.4265]
 */
export function normaliseRgb(rgb: Uint8Array | Uint8ClampedArray): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) {
    const c = i % 3;
    out[i] = (rgb[i]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return out;
}

/**
 * Normalises an 8-bit grayscale image (row-major) as the three equal RGB channels a decoded
 * grayscale PNG gives (images/decode.ts converts to 3 channels), into a new HWC Float32Array.
 * @example normaliseGray(new Uint8Array([255])) // ≈ [2.2489, 2.4286, 2.64]
 */
export function normaliseGray(gray: Uint8Array | Uint8ClampedArray): Float32Array {
  const rgb = new Uint8Array(gray.length * 3);
  gray.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  return normaliseRgb(rgb);
}

/** Maps a normalised HWC image back to [0, 1] RGB in place (the inverse of the scaling above). */
export function toUnitRange(image: Float32Array): Float32Array {
  for (let i = 0; i < image.length; i++) {
    const c = i % 3;
    image[i] = image[i]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!;
  }
  return image;
}

/** Maps a [0, 1] RGB HWC image to the normalised scale in place. */
export function fromUnitRange(image: Float32Array): Float32Array {
  for (let i = 0; i < image.length; i++) {
    const c = i % 3;
    image[i] = (image[i]! - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
  }
  return image;
}
