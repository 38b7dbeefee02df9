/**
 * PNG output through sharp, and DICOM output (I/O: used by the CLI only). Fixed encoder options — zlib level 9, no
 * adaptive filtering, no palette, no metadata — so a seed gives byte-identical files.
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from './contact-sheet';
import { ultrasoundDicom } from './dicom-writer';
import { ultrasoundScreen } from './ultrasound-screen';

const PNG_OPTIONS = { compressionLevel: 9, adaptiveFiltering: false, palette: false } as const;

/** Writes a size×size 8-bit grayscale image. */
export async function writeGrayPng(path: string, pixels: Uint8Array, size: number): Promise<void> {
  await sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w') // keep one channel: sharp otherwise writes 8-bit sRGB
    .png(PNG_OPTIONS)
    .toFile(path);
}

/** Writes an interleaved RGB image. */
export async function writeRgbPng(path: string, image: RgbImage): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png(PNG_OPTIONS)
    .toFile(path);
}

/**
 * Writes a size×size 8-bit grayscale image as an ultrasound DICOM file: on a screen with burned-in
 * text, the image named by its ultrasound region (dicom-writer.ts).
 */
export async function writeUltrasoundDicom(
  path: string,
  pixels: Uint8Array,
  size: number,
  ids: { caseId: string; uidSeed: string; pixelMm: number },
): Promise<void> {
  const screen = ultrasoundScreen(pixels, size, ids.caseId);
  await writeFile(path, ultrasoundDicom({ screen, ...ids }));
}
