/**
 * The one place a site image file is opened, for training, evaluation, predict and
 * `fedaln-site inspect-data`: DICOM (recognised by content, not by name) is decoded, framed and
 * cropped here (dicom/decode-dicom.ts); PNG and JPEG stay encoded for sharp.
 */
import { readFile } from 'node:fs/promises';
import { decodeDicom, type DicomReadOptions } from './dicom/decode-dicom';
import type { DicomImageInfo } from './dicom/dicom-refusal';
import type { Pixels8 } from './dicom/photometric';
import { sniffDicom } from './dicom/sniff';

/** An image file path, or its encoded bytes. */
export type ImageSource = string | Buffer;

export type SourceImage =
  { kind: 'dicom'; pixels: Pixels8; info: DicomImageInfo } | { kind: 'encoded'; bytes: Buffer };

/** How an image source is named in messages. */
export function describeSource(source: ImageSource): string {
  return typeof source === 'string' ? source : `<${source.length}-byte buffer>`;
}

/**
 * Reads `source`; DICOM is decoded to the 8-bit pixels the model will use.
 * @throws Error naming the file when it cannot be read; `DicomRefusal` when a DICOM file is refused.
 * @example const img = await readSourceImage('site/us-001.dcm', { frame: 12 }); img.kind // 'dicom'
 */
export async function readSourceImage(
  source: ImageSource,
  options: DicomReadOptions = {},
): Promise<SourceImage> {
  let bytes: Buffer;
  try {
    bytes = typeof source === 'string' ? await readFile(source) : source;
  } catch (err) {
    throw new Error(
      `cannot decode image ${source as string}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; expected a readable PNG, JPEG or DICOM file`,
    );
  }
  if (sniffDicom(bytes) !== null) {
    const { pixels, info } = await decodeDicom(bytes, describeSource(source), options);
    return { kind: 'dicom', pixels, info };
  }
  return { kind: 'encoded', bytes };
}
