/**
 * Parses a DICOM file (PS3.10) with `dicom-parser` and returns what decoding needs: the pixel
 * module (PS3.3 C.7.6.3), the VOI window, the Sequence of Ultrasound Regions (C.8.5.5) and the raw
 * bytes of one frame. Every problem is a `DicomRefusal`; nothing here throws anything else.
 */
import * as dicomParser from 'dicom-parser';
import { DicomRefusal, NO_DICOM_INFO } from './dicom-refusal';
import { sniffDicom } from './sniff';
import { transferSyntax, type TransferSyntax } from './transfer-syntax';
import type { UltrasoundRegion } from './ultrasound-region';

/** Largest side and frame size accepted, so a hostile header cannot make us allocate gigabytes. */
const MAX_SIDE = 8192;
const MAX_FRAMES = 10_000;

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  planarConfiguration: 0 | 1;
  frames: number;
  /** First VOI window (0028,1050/1051), if any. */
  window: { center: number; width: number } | null;
  rescale: { slope: number; intercept: number };
}

export interface DicomDataset {
  syntax: TransferSyntax;
  pixel: PixelModule;
  /** Items of (0018,6011); null when the sequence is absent. */
  regions: UltrasoundRegion[] | null;
  /** The bytes of frame `index` (0-based): native pixel data, or one compressed frame. */
  frame(index: number): Uint8Array;
}

/**
 * dicom-parser throws strings, Errors, or `{ exception, dataSet }`; only the text is kept, never the
 * data set (it holds the file's bytes, patient data included).
 */
function message(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  const exception = (err as { exception?: unknown } | null)?.exception;
  return typeof exception === 'string' ? exception : 'unrecognised parser error';
}

function withPreamble(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 132);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(bytes, 132);
  return out;
}

function readRegions(ds: dicomParser.DataSet): UltrasoundRegion[] | null {
  const seq = ds.elements['x00186011'];
  if (!seq) return null;
  return (seq.items ?? []).flatMap((item) => {
    const r = item.dataSet;
    if (!r) return [];
    return [
      {
        spatialFormat: r.uint16('x00186012') ?? null,
        dataType: r.uint16('x00186014') ?? null,
        x0: r.uint32('x00186018') ?? null,
        y0: r.uint32('x0018601a') ?? null,
        x1: r.uint32('x0018601c') ?? null,
        y1: r.uint32('x0018601e') ?? null,
        unitsX: r.uint16('x00186024') ?? null,
        unitsY: r.uint16('x00186026') ?? null,
        deltaX: r.double('x0018602c') ?? null,
        deltaY: r.double('x0018602e') ?? null,
      },
    ];
  });
}

function readPixelModule(ds: dicomParser.DataSet, file: string): PixelModule {
  const need = (tag: string, name: string): number => {
    const v = ds.uint16(tag);
    if (v === undefined)
      throw new DicomRefusal(`${file} has no ${name} (${tag.slice(1, 5)},${tag.slice(5)}); not an image`);
    return v;
  };
  const rows = need('x00280010', 'Rows');
  const columns = need('x00280011', 'Columns');
  const frames = ds.intString('x00280008') ?? 1;
  const centre = ds.floatString('x00281050', 0);
  const width = ds.floatString('x00281051', 0);
  const pixel: PixelModule = {
    rows,
    columns,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    photometric: (ds.string('x00280004') ?? '').trim(),
    bitsAllocated: need('x00280100', 'Bits Allocated'),
    bitsStored: ds.uint16('x00280101') ?? need('x00280100', 'Bits Allocated'),
    pixelRepresentation: ds.uint16('x00280103') === 1 ? 1 : 0,
    planarConfiguration: ds.uint16('x00280006') === 1 ? 1 : 0,
    frames,
    window: centre !== undefined && width !== undefined && width >= 1 ? { center: centre, width } : null,
    rescale: { slope: ds.floatString('x00281053') ?? 1, intercept: ds.floatString('x00281052') ?? 0 },
  };
  if (rows < 1 || columns < 1 || rows > MAX_SIDE || columns > MAX_SIDE) {
    throw new DicomRefusal(`${file} is ${columns}×${rows} px; expected 1..${MAX_SIDE} px a side`);
  }
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) {
    throw new DicomRefusal(`${file} has Number of Frames ${frames}; expected 1..${MAX_FRAMES}`);
  }
  return pixel;
}

/** Bytes of one native (uncompressed) frame. YBR_FULL_422 stores two samples a pixel (PS3.3 C.7.6.3.1.2). */
export function nativeFrameBytes(p: PixelModule): number {
  const samples = p.photometric === 'YBR_FULL_422' ? 2 : p.samplesPerPixel;
  return (p.rows * p.columns * samples * p.bitsAllocated) / 8;
}

function frameReader(
  ds: dicomParser.DataSet,
  syntax: TransferSyntax,
  p: PixelModule,
  file: string,
): (i: number) => Uint8Array {
  const el = ds.elements['x7fe00010'];
  if (!el) throw new DicomRefusal(`${file} has no Pixel Data (7FE0,0010)`);
  const bytes = ds.byteArray;
  if (syntax.pixels === 'native') {
    const size = nativeFrameBytes(p);
    if (el.encapsulatedPixelData || !Number.isInteger(size)) {
      throw new DicomRefusal(
        `${file}: Pixel Data does not match ${syntax.name} with ${p.bitsAllocated}-bit samples`,
      );
    }
    if (el.dataOffset + el.length > bytes.length || el.length < size * p.frames) {
      throw new DicomRefusal(
        `${file} is truncated: Pixel Data holds ${Math.min(el.length, bytes.length - el.dataOffset)} bytes, ` +
          `expected ${size * p.frames} for ${p.frames} frame(s) of ${p.columns}×${p.rows}`,
      );
    }
    return (i) => bytes.subarray(el.dataOffset + i * size, el.dataOffset + (i + 1) * size);
  }
  if (!el.encapsulatedPixelData || !el.fragments || el.fragments.length === 0) {
    throw new DicomRefusal(`${file}: ${syntax.name} needs encapsulated Pixel Data (PS3.5 A.4); found none`);
  }
  const fragments = el.fragments;
  const table = el.basicOffsetTable ?? [];
  return (i) => {
    try {
      if (table.length > 0) return dicomParser.readEncapsulatedImageFrame(ds, el, i, table, fragments);
      if (fragments.length === p.frames)
        return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, i, 1, fragments);
      if (p.frames === 1)
        return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length, fragments);
      if (syntax.pixels === 'jpeg-baseline') {
        const jpegTable = dicomParser.createJPEGBasicOffsetTable(ds, el, fragments);
        return dicomParser.readEncapsulatedImageFrame(ds, el, i, jpegTable, fragments);
      }
    } catch (err) {
      throw new DicomRefusal(
        `${file}: cannot read frame ${i + 1} of the encapsulated Pixel Data (${message(err)})`,
      );
    }
    throw new DicomRefusal(
      `${file}: ${fragments.length} fragments for ${p.frames} frames and no Basic Offset Table; cannot tell frames apart`,
    );
  };
}

/**
 * Parses `bytes` (the whole file). `file` names it in refusals.
 * @throws DicomRefusal for files without a File Meta header, unsupported transfer syntaxes,
 *   truncated or damaged files, and non-image objects.
 * @example const ds = parseDicomDataset(readFileSync('us.dcm'), 'us.dcm'); ds.pixel.photometric // 'MONOCHROME2'
 */
export function parseDicomDataset(bytes: Uint8Array, file: string): DicomDataset {
  const sniff = sniffDicom(bytes);
  if (sniff === 'dataset-without-meta' || sniff === null) {
    throw new DicomRefusal(
      `${file} has no DICOM File Meta header (no "DICM" at byte 128 and no (0002,0010) Transfer Syntax UID), ` +
        'so its encoding is unknown; export it as a DICOM Part 10 file (e.g. dcmtk `dcmconv --write-file`)',
    );
  }
  const part10 = sniff === 'part10' ? bytes : withPreamble(bytes);
  let uid: string;
  try {
    const meta = dicomParser.readPart10Header(part10);
    uid = (meta.string('x00020010') ?? '').replace(/\0/g, '').trim();
  } catch (err) {
    throw new DicomRefusal(
      `${file}: cannot read the DICOM File Meta header (${message(err)}); the file is truncated or damaged`,
    );
  }
  if (!uid) throw new DicomRefusal(`${file}: the File Meta header has no Transfer Syntax UID (0002,0010)`);
  const syntax = transferSyntax(uid);
  const info = { ...NO_DICOM_INFO, transferSyntax: uid };
  if ('refused' in syntax) throw new DicomRefusal(`${file}: ${syntax.refused}`, info);
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(part10);
  } catch (err) {
    throw new DicomRefusal(
      `${file} cannot be parsed (${message(err)}); the file is truncated or damaged`,
      info,
    );
  }
  try {
    const pixel = readPixelModule(ds, file);
    const withPixel = { ...info, photometric: pixel.photometric, frames: pixel.frames };
    let frame: (i: number) => Uint8Array;
    try {
      frame = frameReader(ds, syntax, pixel, file);
    } catch (err) {
      throw err instanceof DicomRefusal ? new DicomRefusal(err.reason, withPixel) : err;
    }
    return { syntax, pixel, regions: readRegions(ds), frame };
  } catch (err) {
    if (err instanceof DicomRefusal)
      throw err.info === NO_DICOM_INFO ? new DicomRefusal(err.reason, info) : err;
    throw new DicomRefusal(
      `${file} cannot be read (${message(err)}); the file is truncated or damaged`,
      info,
    );
  }
}
