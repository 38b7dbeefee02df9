import { BlobFormatError } from './blob-format-error';

/**
 * Layout of a weights blob (DESIGN.md "Wire format"):
 *
 *   bytes 0..7    magic `FEDALN1\0`
 *   bytes 8..11   header length H, u32 little-endian
 *   bytes 12..    H bytes of UTF-8 JSON: {format: 1, tensors: [TensorEntry...]}
 *   then zero padding up to the next multiple of 8: the data section starts there
 *   tensor bytes, each tensor at `offset` (relative to the data section, a multiple of 8),
 *   in header order, packed: offset(k+1) = align8(offset(k) + length(k)); the blob ends
 *   exactly at the end of the last tensor.
 *
 * The layout is canonical (no free choice of offsets or padding), so equal weights encoded with
 * equal encodings give equal bytes and therefore an equal sha256. Numbers are little-endian.
 */
export const BLOB_MAGIC = new Uint8Array([0x46, 0x45, 0x44, 0x41, 0x4c, 0x4e, 0x31, 0x00]); // "FEDALN1\0"
export const BLOB_FORMAT = 1;
export const BLOB_ALIGN = 8;
/** Bytes before the JSON header: magic + u32 length. */
export const BLOB_PREAMBLE_BYTES = BLOB_MAGIC.length + 4;

export const TENSOR_ENCODINGS = ['f32', 'f16', 'q8'] as const;
export type TensorEncoding = (typeof TENSOR_ENCODINGS)[number];

/** Bytes per element on the wire for each encoding. */
export const ENCODING_BYTES: Readonly<Record<TensorEncoding, number>> = { f32: 4, f16: 2, q8: 1 };

/** One tensor's entry in the JSON header; never holds tensor data. */
export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  encoding: TensorEncoding;
  offset: number;
  length: number;
  /** q8 only: value = min + q · scale. */
  scale?: number;
  min?: number;
}

export interface BlobHeader {
  format: typeof BLOB_FORMAT;
  tensors: TensorEntry[];
}

/** Rounds `n` up to a multiple of {@link BLOB_ALIGN}. */
export function align8(n: number): number {
  return Math.ceil(n / BLOB_ALIGN) * BLOB_ALIGN;
}

const isNonNegativeInteger = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Checks that parsed JSON is a {@link BlobHeader}; field problems name the tensor.
 *
 * @example
 * parseHeader(JSON.parse('{"format":1,"tensors":[]}')); // {format: 1, tensors: []}
 */
export function parseHeader(json: unknown): BlobHeader {
  if (typeof json !== 'object' || json === null) throw new BlobFormatError('header is not a JSON object');
  const { format, tensors } = json as Record<string, unknown>;
  if (format !== BLOB_FORMAT) {
    throw new BlobFormatError(`unsupported blob format ${JSON.stringify(format)}, expected ${BLOB_FORMAT}`);
  }
  if (!Array.isArray(tensors)) throw new BlobFormatError('header "tensors" is not an array');
  const seen = new Set<string>();
  return { format: BLOB_FORMAT, tensors: tensors.map((t: unknown, i) => parseEntry(t, i, seen)) };
}

function parseEntry(raw: unknown, index: number, seen: Set<string>): TensorEntry {
  if (typeof raw !== 'object' || raw === null)
    throw new BlobFormatError(`tensors[${index}] is not an object`);
  const e = raw as Record<string, unknown>;
  if (typeof e.name !== 'string' || e.name === '') {
    throw new BlobFormatError(`tensors[${index}] has no name`);
  }
  const name = e.name;
  const fail = (message: string): never => {
    throw new BlobFormatError(message, name);
  };
  if (seen.has(name)) fail('duplicate tensor name');
  seen.add(name);
  if (!Array.isArray(e.shape) || !e.shape.every(isNonNegativeInteger)) {
    fail(`shape ${JSON.stringify(e.shape)} is not an array of non-negative integers`);
  }
  if (e.dtype !== 'float32') fail(`dtype ${JSON.stringify(e.dtype)} is not "float32"`);
  if (!TENSOR_ENCODINGS.includes(e.encoding as TensorEncoding)) {
    fail(`encoding ${JSON.stringify(e.encoding)} is not one of ${TENSOR_ENCODINGS.join('|')}`);
  }
  if (!isNonNegativeInteger(e.offset) || e.offset % BLOB_ALIGN !== 0) {
    fail(`offset ${JSON.stringify(e.offset)} is not a non-negative multiple of ${BLOB_ALIGN}`);
  }
  if (!isNonNegativeInteger(e.length))
    fail(`length ${JSON.stringify(e.length)} is not a non-negative integer`);
  const entry: TensorEntry = {
    name,
    shape: e.shape as number[],
    dtype: 'float32',
    encoding: e.encoding as TensorEncoding,
    offset: e.offset as number,
    length: e.length as number,
  };
  if (entry.encoding === 'q8') {
    if (!Number.isFinite(e.scale) || (e.scale as number) < 0)
      fail(`q8 scale ${JSON.stringify(e.scale)} is invalid`);
    if (!Number.isFinite(e.min)) fail(`q8 min ${JSON.stringify(e.min)} is invalid`);
    entry.scale = e.scale as number;
    entry.min = e.min as number;
  }
  return entry;
}
