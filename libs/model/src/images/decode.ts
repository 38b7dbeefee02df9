/**
 * Image decoding for the model: PNG or JPEG of any size, grayscale, grayscale+alpha, RGB or RGBA,
 * or DICOM (source-image.ts), to a 3-channel square image of the study's input size, normalised
 * for Keras DenseNet.
 */
import sharp from 'sharp';
import type { DicomReadOptions } from './dicom/decode-dicom';
import type { DicomImageInfo } from './dicom/dicom-refusal';
import type { Pixels8 } from './dicom/photometric';
import { normaliseRgb } from './normalise';
import { describeSource, readSourceImage, type ImageSource, type SourceImage } from './source-image';

export type { ImageSource } from './source-image';

/** A sharp pipeline on the image as the model sees it, before resizing (DICOM: decoded and cropped). */
export function sharpOf(image: SourceImage): sharp.Sharp {
  if (image.kind === 'encoded') return sharp(image.bytes, { failOn: 'error' });
  const { width, height, channels, data } = image.pixels;
  return sharp(data, { raw: { width, height, channels } });
}

/**
 * Decodes and resizes to `size`×`size` 8-bit RGB (HWC). Like Keras's `load_img(color_mode="rgb")`
 * (PIL `convert("RGB")`), gray is replicated into three channels and alpha is dropped; like
 * `load_img(target_size=…)` the aspect ratio is not kept. Resampling is bilinear, the default of
 * Keras's `image_dataset_from_directory`.
 */
export async function decodeRgb(
  source: ImageSource,
  size: number,
  options: DicomReadOptions = {},
): Promise<Uint8Array> {
  const image = await readSourceImage(source, options);
  let data: Buffer;
  let channels: number;
  try {
    const out = await sharpOf(image)
      .resize({ width: size, height: size, fit: 'fill', kernel: 'linear' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    data = out.data;
    channels = out.info.channels;
  } catch (err) {
    throw new Error(
      `cannot decode image ${describeSource(source)}: ${(err as Error).message}; expected a readable PNG, JPEG or DICOM file`,
    );
  }
  const pixels = size * size;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const base = p * channels;
    // 1 or 2 channels are gray (+alpha); 3 or 4 are RGB (+alpha).
    const gray = channels < 3;
    rgb[p * 3] = data[base]!;
    rgb[p * 3 + 1] = data[gray ? base : base + 1]!;
    rgb[p * 3 + 2] = data[gray ? base : base + 2]!;
  }
  return rgb;
}

/**
 * Decodes an image into the model's input: Float32Array, HWC, `size`×`size`×3, normalised with
 * ImageNet mean/std as Keras DenseNet's `preprocess_input` does (see normalise.ts).
 * A file that cannot be decoded is an error naming the file; a refused DICOM file a `DicomRefusal`.
 * `options.frame` picks a multi-frame DICOM's frame (1-based).
 * @example const x = await loadImage('site/img/case-001.png', 224); // x.length === 224 * 224 * 3
 */
export async function loadImage(
  source: ImageSource,
  size: number,
  options: DicomReadOptions = {},
): Promise<Float32Array> {
  return normaliseRgb(await decodeRgb(source, size, options));
}

/**
 * The 8-bit image the model trains on, before resizing: decoded, DICOM framed and cropped, alpha
 * dropped (as `decodeRgb` does), gray kept as one channel; with what is known of a DICOM file.
 * Opens the file through the same `readSourceImage` as training, evaluation and predict.
 * @example const { pixels, dicom } = await decodeForInspection('site/us-001.dcm'); pixels.width // 640
 */
export async function decodeForInspection(
  source: ImageSource,
  options: DicomReadOptions = {},
): Promise<{ pixels: Pixels8; dicom: DicomImageInfo | null }> {
  const image = await readSourceImage(source, options);
  if (image.kind === 'dicom') return { pixels: image.pixels, dicom: image.info };
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharpOf(image).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(
      `cannot decode image ${describeSource(source)}: ${(err as Error).message}; expected a readable PNG, JPEG or DICOM file`,
    );
  }
  const { width, height, channels } = out.info;
  const keep = channels < 3 ? 1 : 3;
  const data = new Uint8Array(width * height * keep);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < keep; c++) data[p * keep + c] = out.data[p * channels + c]!;
  }
  return { pixels: { width, height, channels: keep, data }, dicom: null };
}

/**
 * PNG bytes of 8-bit pixels, lossless (gray stays one channel), for `fedaln-site inspect-data --dump-png`.
 * @example await writeFile('line-2.png', await pixelsToPng(pixels));
 */
export async function pixelsToPng(px: Pixels8): Promise<Buffer> {
  return sharp(px.data, { raw: { width: px.width, height: px.height, channels: px.channels } })
    .toColourspace(px.channels === 1 ? 'b-w' : 'srgb')
    .png()
    .toBuffer();
}
