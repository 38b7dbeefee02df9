import { elementCount } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { assertFinite, blobHead } from './encode';
import { align8, ENCODING_BYTES, type TensorEntry } from './header';

/** A tensor's name and shape: all a blob's layout needs before the values exist. */
export interface TensorLayout {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Where an all-f32 blob puts things (see {@link f32BlobLayout}). */
export interface F32BlobLayout {
  /** The blob's first `dataStart` bytes: preamble, JSON header and padding. */
  readonly head: Uint8Array;
  /** Per tensor, in layout order: its byte offset within the data section and its byte length. */
  readonly tensors: readonly { readonly offset: number; readonly length: number }[];
  /** Bytes of the whole blob. */
  readonly totalBytes: number;
}

/**
 * The layout `encodeBlob` gives f32 tensors of these names and shapes, without their values: the
 * head, then each tensor's little-endian float32 values at `head.length + offset`, zero bytes in the
 * alignment gaps, gives the same bytes and sha256 as `encodeBlob` ({@link f32BlobChunks} writes it).
 *
 * @example
 * const { head, tensors, totalBytes } = f32BlobLayout([{ name: 'w', shape: [3] }]);
 * // head.length === totalBytes - 12; tensors[0] = { offset: 0, length: 12 }
 */
export function f32BlobLayout(layout: readonly TensorLayout[]): F32BlobLayout {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of layout) {
    if (entries.some((e) => e.name === t.name)) throw new BlobFormatError('duplicate tensor name', t.name);
    const length = elementCount(t.shape) * ENCODING_BYTES.f32;
    offset = align8(offset);
    entries.push({ name: t.name, shape: [...t.shape], dtype: 'float32', encoding: 'f32', offset, length });
    offset += length;
  }
  const { head, dataStart } = blobHead(entries);
  return {
    head,
    tensors: entries.map(({ offset, length }) => ({ offset, length })),
    totalBytes: dataStart + offset,
  };
}

/** Fills `out` with the values [from, from + out.length) of tensor `k` (in layout order). */
export type FillTensorChunk = (k: number, from: number, out: Float32Array) => void;

/** Floats per chunk {@link f32BlobChunks} asks for by default (256 KiB of blob). */
export const F32_CHUNK_VALUES = 1 << 16;

/**
 * An f32 blob written piece by piece: yields exactly the bytes `encodeBlob` gives the same tensors
 * (f32), in chunks — the head, then each tensor's values, `chunkValues` floats at a time as `fill`
 * produces them, with the zero padding between tensors — so a producer never holds the blob, or
 * even one tensor, whole (the coordinator streams a new global model to disk beside its
 * accumulator this way). One buffer is reused: a yielded chunk is valid until the next is asked
 * for. As `encodeBlob` does, it refuses a NaN or ±∞ with a {@link BlobFormatError} naming the
 * tensor and index.
 *
 * @example
 * const chunks = f32BlobChunks([{ name: 'w', shape: [3] }], (k, from, out) => out.fill(1));
 * Buffer.concat([...chunks].map((c) => Buffer.from(c))); // = encodeBlob([{ name: 'w', shape: [3], values: ones }]).bytes
 */
export function* f32BlobChunks(
  layout: readonly TensorLayout[],
  fill: FillTensorChunk,
  chunkValues: number = F32_CHUNK_VALUES,
): Generator<Uint8Array> {
  if (!Number.isSafeInteger(chunkValues) || chunkValues < 1) {
    throw new RangeError(`chunkValues ${chunkValues} must be a positive integer`);
  }
  const { head, tensors } = f32BlobLayout(layout);
  yield head;
  const buffer = new Float32Array(chunkValues);
  let written = 0; // bytes of the data section yielded so far
  for (const [k, t] of layout.entries()) {
    const { offset, length } = tensors[k] as { offset: number; length: number };
    if (offset > written) yield new Uint8Array(offset - written);
    const n = length / ENCODING_BYTES.f32;
    for (let from = 0; from < n; from += chunkValues) {
      const out = buffer.subarray(0, Math.min(chunkValues, n - from));
      fill(k, from, out);
      assertFinite(out, t.name, from);
      yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    written = offset + length;
  }
}
