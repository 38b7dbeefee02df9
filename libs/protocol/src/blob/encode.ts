import { elementCount, formatShape, type NamedTensor } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { float32BitsToFloat16Bits } from './f16';
import {
  align8,
  BLOB_FORMAT,
  BLOB_MAGIC,
  BLOB_PREAMBLE_BYTES,
  ENCODING_BYTES,
  TENSOR_ENCODINGS,
  type BlobHeader,
  type TensorEncoding,
  type TensorEntry,
} from './header';
import { quantizeQ8 } from './q8';
import { blobSha256 } from './sha256';

export interface EncodeOptions {
  /** Encoding of every tensor not named in `encodings`; default `f32` (lossless). */
  encoding?: TensorEncoding;
  /** Per-tensor encodings by tensor name; a name that is not a tensor of the set is an error. */
  encodings?: Readonly<Record<string, TensorEncoding>>;
}

export interface EncodedBlob {
  bytes: Uint8Array;
  /** Hex sha256 of `bytes`. */
  sha256: string;
}

// Typed-array views write host byte order; the wire is little-endian, as is every platform Node runs on.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('@fedaln/protocol needs a little-endian host for the weights blob codec');
}

/**
 * Encodes named float32 tensors into one weights blob (layout in `header.ts`). f32 is bit-exact
 * (−0 and every payload bit kept); f16 rounds to nearest-even and rejects values that would overflow
 * to ±∞ (|x| ≥ 65520); q8 is affine per-tensor uint8. Non-finite input is rejected: a blob never
 * carries NaN or ±∞. Errors are {@link BlobFormatError}s naming the tensor.
 *
 * @example
 * const { bytes, sha256 } = encodeBlob([{ name: 'w', shape: [2], values: new Float32Array([1, 2]) }], {
 *   encoding: 'f16',
 * });
 */
export function encodeBlob(tensors: readonly NamedTensor[], options: EncodeOptions = {}): EncodedBlob {
  const fallback = options.encoding ?? 'f32';
  const perTensor = options.encodings ?? {};
  const names = new Set(tensors.map((t) => t.name));
  for (const name of Object.keys(perTensor)) {
    if (!names.has(name))
      throw new BlobFormatError('is given an encoding but is not in the weight set', name);
  }
  const entries: TensorEntry[] = [];
  const payloads: Uint8Array[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '') throw new BlobFormatError('a tensor has an empty name');
    if (seen.has(t.name)) throw new BlobFormatError('duplicate tensor name', t.name);
    seen.add(t.name);
    const encoding = perTensor[t.name] ?? fallback;
    if (!TENSOR_ENCODINGS.includes(encoding)) {
      throw new BlobFormatError(`encoding "${encoding}" is not one of ${TENSOR_ENCODINGS.join('|')}`, t.name);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new BlobFormatError(
        `shape ${formatShape(t.shape)} is not a list of non-negative integers`,
        t.name,
      );
    }
    if (t.values.length !== elementCount(t.shape)) {
      throw new BlobFormatError(
        `has ${t.values.length} values but shape ${formatShape(t.shape)} needs ${elementCount(t.shape)}`,
        t.name,
      );
    }
    assertFinite(t.values, t.name);
    const { payload, entry } = encodeTensor(t, encoding);
    offset = align8(offset);
    entries.push({ ...entry, offset, length: payload.length });
    payloads.push(payload);
    offset += payload.length;
  }
  const { head, dataStart } = blobHead(entries);
  const bytes = new Uint8Array(dataStart + offset);
  bytes.set(head);
  entries.forEach((e, i) => bytes.set(payloads[i] as Uint8Array, dataStart + e.offset));
  return { bytes, sha256: blobSha256(bytes) };
}

/** The bytes before a blob's tensor data: magic, u32 header length, JSON header, zero padding. */
export function blobHead(entries: TensorEntry[]): { head: Uint8Array; dataStart: number } {
  const header: BlobHeader = { format: BLOB_FORMAT, tensors: entries };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(BLOB_PREAMBLE_BYTES + json.length);
  const head = new Uint8Array(dataStart);
  head.set(BLOB_MAGIC, 0);
  new DataView(head.buffer).setUint32(BLOB_MAGIC.length, json.length, true);
  head.set(json, BLOB_PREAMBLE_BYTES);
  return { head, dataStart };
}

/**
 * Throws a {@link BlobFormatError} naming tensor `name` at the first value of `values` that is NaN or
 * ±∞ (a blob never carries one); `from` is the index of `values[0]` within the tensor.
 */
export function assertFinite(values: Float32Array, name: string, from = 0): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new BlobFormatError(`value ${values[i]} at index ${from + i} is not finite`, name);
  }
}

function encodeTensor(
  t: NamedTensor,
  encoding: TensorEncoding,
): { payload: Uint8Array; entry: Omit<TensorEntry, 'offset' | 'length'> } {
  const base = { name: t.name, shape: [...t.shape], dtype: 'float32' as const, encoding };
  const n = t.values.length;
  switch (encoding) {
    case 'f32':
      return {
        payload: new Uint8Array(t.values.buffer, t.values.byteOffset, n * ENCODING_BYTES.f32),
        entry: base,
      };
    case 'f16': {
      const bits = new Uint32Array(t.values.buffer, t.values.byteOffset, n);
      const half = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const h = float32BitsToFloat16Bits(bits[i] as number);
        if (h === null) {
          throw new BlobFormatError(
            `value ${t.values[i]} at index ${i} is outside the float16 range (|x| ≤ 65504); encode it as f32`,
            t.name,
          );
        }
        half[i] = h;
      }
      return { payload: new Uint8Array(half.buffer), entry: base };
    }
    case 'q8': {
      const { q, params } = quantizeQ8(t.values);
      return { payload: q, entry: { ...base, ...params } };
    }
  }
}
