import { elementCount, formatShape, type NamedTensor } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { float16Table, isFloat16NonFinite } from './f16';
import {
  align8,
  BLOB_MAGIC,
  BLOB_PREAMBLE_BYTES,
  ENCODING_BYTES,
  parseHeader,
  type BlobHeader,
  type TensorEntry,
} from './header';
import { dequantizeQ8 } from './q8';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Where a blob's JSON header ends: the bytes from the blob's start that {@link readBlobHeader}
 * needs, read from the preamble (magic and u32 header length) alone, so a reader of a file knows
 * how much to read before parsing. Throws a {@link BlobFormatError} when `bytes` is shorter than the
 * preamble or not a FedALN blob.
 *
 * @example
 * blobHeadLength(encodeBlob([]).bytes.subarray(0, BLOB_PREAMBLE_BYTES)); // 12 + the JSON's length
 */
export function blobHeadLength(bytes: Uint8Array): number {
  if (bytes.length < BLOB_PREAMBLE_BYTES) {
    throw new BlobFormatError(
      `blob is truncated: ${bytes.length} bytes, shorter than the ${BLOB_PREAMBLE_BYTES}-byte preamble`,
    );
  }
  if (!BLOB_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new BlobFormatError('bad magic: not a FedALN weights blob (expected "FEDALN1\\0")');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return BLOB_PREAMBLE_BYTES + view.getUint32(BLOB_MAGIC.length, true);
}

/**
 * {@link blobHeadLength}, refusing a header longer than `maxHeaderBytes` (from `blobBounds` of the
 * expected layout) from the preamble alone, before any of the header is read or parsed.
 *
 * @example
 * assertHeaderWithin(firstFrame, blobBounds(layout).maxHeaderBytes); // where the header ends
 */
export function assertHeaderWithin(bytes: Uint8Array, maxHeaderBytes: number): number {
  const headEnd = blobHeadLength(bytes);
  const headerBytes = headEnd - BLOB_PREAMBLE_BYTES;
  if (headerBytes > maxHeaderBytes) {
    throw new BlobFormatError(
      `header is ${headerBytes} bytes; the expected tensor layout needs at most ${maxHeaderBytes}, so it was not parsed (encode the update with encodeBlob over the round's model layout)`,
    );
  }
  return headEnd;
}

/**
 * Reads and validates the header of a weights blob without touching tensor data: magic, format,
 * entries, and the canonical packed layout (each offset = align8(end of the previous tensor), the
 * blob ending at the end of the last one). Returns the header and where the data section starts.
 * A header longer than `maxHeaderBytes` is refused before it is parsed ({@link assertHeaderWithin}).
 * `bytes` may be only the blob's beginning (at least through the header) when `totalBytes` gives
 * the whole blob's size, as when the rest stays in a file.
 *
 * @example
 * const { header } = readBlobHeader(encodeBlob(weights).bytes);
 * header.tensors.map((t) => t.name);
 */
export function readBlobHeader(
  bytes: Uint8Array,
  totalBytes = bytes.length,
  maxHeaderBytes = Infinity,
): { header: BlobHeader; dataStart: number } {
  const headEnd = assertHeaderWithin(bytes, maxHeaderBytes);
  const headerBytes = headEnd - BLOB_PREAMBLE_BYTES;
  const dataStart = align8(headEnd);
  if (dataStart > totalBytes) {
    throw new BlobFormatError(
      `blob is truncated: header says ${headerBytes} header bytes, blob has ${totalBytes}`,
    );
  }
  if (headEnd > bytes.length) {
    throw new RangeError(`readBlobHeader needs the first ${headEnd} bytes, got ${bytes.length}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(BLOB_PREAMBLE_BYTES, headEnd)),
    );
  } catch (err) {
    throw new BlobFormatError(`header is not UTF-8 JSON: ${(err as Error).message}`);
  }
  const header = parseHeader(json);
  const dataBytes = totalBytes - dataStart;
  let end = 0;
  for (const t of header.tensors) {
    const expected = elementCount(t.shape) * ENCODING_BYTES[t.encoding];
    if (t.length !== expected) {
      throw new BlobFormatError(
        `length ${t.length} does not match shape ${formatShape(t.shape)} × ${ENCODING_BYTES[t.encoding]} bytes (${t.encoding}) = ${expected}`,
        t.name,
      );
    }
    if (t.offset < end)
      throw new BlobFormatError(`offset ${t.offset} overlaps the previous tensor (ends at ${end})`, t.name);
    if (t.offset !== align8(end)) {
      throw new BlobFormatError(
        `offset ${t.offset} leaves a gap; the next tensor must start at ${align8(end)}`,
        t.name,
      );
    }
    end = t.offset + t.length;
    if (end > dataBytes) {
      throw new BlobFormatError(
        `bytes ${t.offset}..${end} are out of range: the data section has ${dataBytes} bytes`,
        t.name,
      );
    }
  }
  if (dataBytes > end)
    throw new BlobFormatError(`blob has ${dataBytes - end} trailing bytes after the last tensor`);
  return { header, dataStart };
}

/**
 * Decodes a weights blob into named float32 tensors (fresh arrays, not views of `bytes`).
 * Rejects truncated or oversized blobs, bad magic/format, shape/length mismatches, overlapping,
 * gapped or out-of-range offsets, duplicate names and non-finite data with a {@link BlobFormatError}
 * naming the tensor.
 *
 * @example
 * const tensors = decodeBlob(encodeBlob([{ name: 'w', shape: [1], values: new Float32Array([3]) }]).bytes);
 * tensors[0].values[0]; // 3
 */
export function decodeBlob(bytes: Uint8Array): NamedTensor[] {
  const { header, dataStart } = readBlobHeader(bytes);
  return header.tensors.map((entry) => {
    const start = dataStart + entry.offset;
    const values = decodeTensor(entry, bytes.subarray(start, start + entry.length));
    return { name: entry.name, shape: entry.shape, values };
  });
}

/**
 * Decodes one tensor's bytes (`entry.length` of them, from the data section) into fresh float32
 * values; non-finite values and q8 parameters that overflow float32 are BlobFormatErrors naming it.
 */
export function decodeTensor(entry: TensorEntry, data: Uint8Array): Float32Array {
  assertDecodable(entry);
  const out = new Float32Array(elementCount(entry.shape));
  decodeValues(entry, data, out, 0);
  return out;
}

/** Throws a BlobFormatError for q8 parameters whose values would overflow float32. */
export function assertDecodable(entry: TensorEntry): void {
  if (entry.encoding !== 'q8') return;
  const { scale, min } = entry as Required<TensorEntry>;
  if (Math.abs(min) + 255 * scale > FLOAT32_MAX) {
    throw new BlobFormatError(`q8 min ${min} + 255 × scale ${scale} overflows float32`, entry.name);
  }
}

/**
 * Decodes values [from, from + into.length) of a tensor from `data`, exactly their bytes
 * (`into.length` × the encoding's bytes), into `into`: what a chunked reader needs, so a tensor is
 * never expanded whole. Non-finite values are BlobFormatErrors naming the tensor and index.
 *
 * @example
 * decodeValues(entry, bytesOfValues100To199, new Float32Array(100), 100);
 */
export function decodeValues(entry: TensorEntry, data: Uint8Array, into: Float32Array, from: number): void {
  const n = into.length;
  const fail = (i: number): never => {
    throw new BlobFormatError(`value at index ${from + i} is not finite`, entry.name);
  };
  switch (entry.encoding) {
    case 'f32': {
      new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(data);
      for (let i = 0; i < n; i++) if (!Number.isFinite(into[i])) fail(i);
      return;
    }
    case 'f16': {
      const table = float16Table();
      for (let i = 0; i < n; i++) {
        const h = (data[2 * i] as number) | ((data[2 * i + 1] as number) << 8);
        if (isFloat16NonFinite(h)) fail(i);
        into[i] = table[h] as number;
      }
      return;
    }
    case 'q8': {
      dequantizeQ8(data, { scale: entry.scale as number, min: entry.min as number }, into);
      return;
    }
  }
}
