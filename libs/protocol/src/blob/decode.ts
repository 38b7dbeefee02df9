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
 * Reads and validates the header of a weights blob without touching tensor data: magic, format,
 * entries, and the canonical packed layout (each offset = align8(end of the previous tensor), the
 * blob ending at the end of the last one). Returns the header and where the data section starts.
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
): { header: BlobHeader; dataStart: number } {
  const headEnd = blobHeadLength(bytes);
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
  const n = elementCount(entry.shape);
  const fail = (i: number): never => {
    throw new BlobFormatError(`value at index ${i} is not finite`, entry.name);
  };
  switch (entry.encoding) {
    case 'f32': {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(data);
      for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) fail(i);
      return out;
    }
    case 'f16': {
      const half = new Uint16Array(n);
      new Uint8Array(half.buffer).set(data);
      const table = float16Table();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const h = half[i] as number;
        if (isFloat16NonFinite(h)) fail(i);
        out[i] = table[h] as number;
      }
      return out;
    }
    case 'q8': {
      const params = { scale: entry.scale as number, min: entry.min as number };
      if (Math.abs(params.min) + 255 * params.scale > FLOAT32_MAX) {
        throw new BlobFormatError(
          `q8 min ${params.min} + 255 × scale ${params.scale} overflows float32`,
          entry.name,
        );
      }
      return dequantizeQ8(data, params);
    }
  }
}
