/**
 * A DICOM ultrasound file to the 8-bit image the model trains on: parse (dicom-dataset.ts), pick
 * the frame, decode it (native, RLE lossless, or JPEG baseline through sharp's libjpeg-turbo), map
 * to 8-bit gray or RGB (photometric.ts), crop to the B-mode region (ultrasound-region.ts).
 *
 * Frame rule: the 1-based `frame` asked for (labels.csv column `frame`), else the middle frame,
 * `floor((frames − 1) / 2) + 1` (frame 3 of 5, frame 2 of 4).
 */
import sharp from 'sharp';
import { parseDicomDataset, type DicomDataset, type PixelModule } from './dicom-dataset';
import { DicomRefusal, type DicomImageInfo } from './dicom-refusal';
import { photometricRefusal, toPixels8, type Pixels8 } from './photometric';
import { decodeRle } from './rle';
import { chooseUltrasoundRegion } from './ultrasound-region';

export interface DecodedDicom {
  pixels: Pixels8;
  info: DicomImageInfo;
}

export interface DicomReadOptions {
  /** 1-based frame to use; null or absent for the middle frame. */
  frame?: number | null;
}

/** The middle frame, 1-based. @example middleFrame(5) // 3 */
export function middleFrame(frames: number): number {
  return Math.floor((frames - 1) / 2) + 1;
}

async function decodeJpegFrame(bytes: Uint8Array, p: PixelModule, file: string): Promise<Pixels8> {
  const mono = p.photometric.startsWith('MONOCHROME');
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    let image = sharp(bytes, { failOn: 'error' });
    // sharp's raw output of a one-component JPEG is sRGB unless told to keep one channel.
    if (mono) image = image.toColourspace('b-w');
    out = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`${file}: the JPEG baseline frame cannot be decoded (${(err as Error).message})`);
  }
  const { width, height, channels } = out.info;
  if (width !== p.columns || height !== p.rows) {
    throw new Error(`${file}: the JPEG frame is ${width}×${height}, the header says ${p.columns}×${p.rows}`);
  }
  if (channels !== (mono ? 1 : 3)) {
    throw new Error(
      `${file}: the JPEG frame has ${channels} components; ${p.photometric} needs ${mono ? 1 : 3}`,
    );
  }
  // libjpeg already turns YCbCr into RGB for 3-component JPEG, whatever the header's YBR_* label.
  const data = new Uint8Array(out.data);
  if (p.photometric === 'MONOCHROME1') for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
  return { width, height, channels: mono ? 1 : 3, data };
}

async function decodeFrame(ds: DicomDataset, index: number, file: string): Promise<Pixels8> {
  const p = ds.pixel;
  const bytes = ds.frame(index);
  if (ds.syntax.pixels === 'jpeg-baseline') return decodeJpegFrame(bytes, p, file);
  if (ds.syntax.pixels === 'rle') {
    if (p.photometric === 'YBR_FULL_422')
      throw new Error(`${file}: RLE Lossless does not carry YBR_FULL_422 (PS3.5 G.2)`);
    const native = decodeRle(bytes, p.rows * p.columns, p.samplesPerPixel, p.bitsAllocated / 8);
    // decodeRle returns sample-interleaved pixels whatever the header's planar configuration.
    return toPixels8(native, { ...p, planarConfiguration: 0 });
  }
  if (p.photometric === 'YBR_FULL_422' && p.columns % 2 !== 0) {
    throw new Error(`${file}: YBR_FULL_422 needs an even number of columns, found ${p.columns}`);
  }
  return toPixels8(bytes, p);
}

function crop(px: Pixels8, r: { x0: number; y0: number; x1: number; y1: number }): Pixels8 {
  const width = r.x1 - r.x0 + 1;
  const height = r.y1 - r.y0 + 1;
  const data = new Uint8Array(width * height * px.channels);
  for (let y = 0; y < height; y++) {
    const from = ((r.y0 + y) * px.width + r.x0) * px.channels;
    data.set(px.data.subarray(from, from + width * px.channels), y * width * px.channels);
  }
  return { width, height, channels: px.channels, data };
}

/**
 * Decodes the DICOM file `bytes`; `file` names it in refusals.
 * @throws DicomRefusal with the reason and what was learnt of the file; never anything else.
 * @example const { pixels, info } = await decodeDicom(readFileSync('us.dcm'), 'us.dcm'); info.frameUsed // 1
 */
export async function decodeDicom(
  bytes: Uint8Array,
  file: string,
  options: DicomReadOptions = {},
): Promise<DecodedDicom> {
  const ds = parseDicomDataset(bytes, file);
  const p = ds.pixel;
  const info: DicomImageInfo = {
    transferSyntax: ds.syntax.uid,
    photometric: p.photometric,
    frames: p.frames,
    frameUsed: null,
    width: null,
    height: null,
    region: null,
  };
  const refuse = (reason: string): never => {
    throw new DicomRefusal(reason, info);
  };
  const photometric = photometricRefusal(p);
  if (photometric) refuse(`${file}: ${photometric}`);
  const frame = options.frame ?? middleFrame(p.frames);
  if (!Number.isInteger(frame) || frame < 1 || frame > p.frames) {
    refuse(
      `${file}: frame ${frame} was asked for (labels.csv column "frame"), the file has ${p.frames}; expected 1..${p.frames}`,
    );
  }
  info.frameUsed = frame;
  const region = chooseUltrasoundRegion(ds.regions, p.columns, p.rows);
  if (region && 'refused' in region) return refuse(`${file}: ${region.refused}`);
  info.region = region;
  let pixels: Pixels8;
  try {
    pixels = await decodeFrame(ds, frame - 1, file);
  } catch (err) {
    if (err instanceof DicomRefusal) throw new DicomRefusal(err.reason, info);
    return refuse(
      (err as Error).message.startsWith(file) ? (err as Error).message : `${file}: ${(err as Error).message}`,
    );
  }
  if (region) pixels = crop(pixels, region);
  info.width = pixels.width;
  info.height = pixels.height;
  return { pixels, info };
}
