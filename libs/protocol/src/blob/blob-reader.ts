import { elementCount, type NamedTensor } from '../tensor';
import { blobHeadLength, decodeTensor, readBlobHeader } from './decode';
import { BLOB_PREAMBLE_BYTES, ENCODING_BYTES, type BlobHeader, type TensorEntry } from './header';
import { fileSource, type PositionalSource } from './positional-source';

/**
 * A tensor whose values are read on demand: `read` fills `into` with the values
 * [from, from + into.length) and throws if it cannot. Structurally the `TensorSource` of
 * `@fedaln/aggregation`, so a reader's tensors can be folded without that package importing this one.
 */
export interface TensorReader {
  readonly name: string;
  readonly shape: readonly number[];
  read(from: number, into: Float32Array): void;
}

/** A tensor of an opened blob: read on demand (f32) or decoded (f16, q8). */
export type BlobTensor = TensorReader | NamedTensor;

/** A blob opened by {@link openBlob}: its validated header and its tensors in header order. */
export interface BlobReader {
  readonly header: BlobHeader;
  readonly tensors: readonly BlobTensor[];
  /** Closes the source; the tensors' `read` fails after it. Safe to call twice. */
  close(): void;
}

/**
 * Opens a weights blob for reading without holding it in memory: reads the header (validated by
 * `readBlobHeader`, a BlobFormatError on a malformed or truncated blob), then gives each f32 tensor
 * as a {@link TensorReader} that reads a chunk straight from the source into the caller's buffer —
 * an 80 MB DenseNet201 update is checked and folded with no 80 MB buffer per update — and decodes
 * f16 and q8 tensors (which need converting anyway) whole with `decodeBlob`'s own decoder. The f32
 * values are not checked for NaN/±∞ here (`decodeBlob` does; a consumer of a reader must, as
 * `StreamingFedAvg` does). A source that ends inside a tensor, as a file truncated after it was
 * opened, is an error naming the source and the tensor.
 *
 * @example
 * const update = openBlob(fileSource(spool.file)); // or openBlobFile(spool.file)
 * try { fedavg.check(update.tensors, 120); } finally { update.close(); }
 */
export function openBlob(source: PositionalSource): BlobReader {
  try {
    const preamble = readRange(source, 0, Math.min(source.size, BLOB_PREAMBLE_BYTES));
    const head = readRange(source, 0, Math.min(source.size, blobHeadLength(preamble)));
    const { header, dataStart } = readBlobHeader(head, source.size);
    const tensors = header.tensors.map((entry): BlobTensor => {
      const start = dataStart + entry.offset;
      if (entry.encoding === 'f32') return f32Reader(source, entry, start);
      const values = decodeTensor(entry, readExactly(source, start, entry.length, entry.name));
      return { name: entry.name, shape: entry.shape, values };
    });
    if (tensors.every((t) => 'values' in t)) source.close(); // nothing left to read
    return { header, tensors, close: () => source.close() };
  } catch (e) {
    source.close();
    throw e;
  }
}

/**
 * {@link openBlob} of a file.
 *
 * @example
 * const update = openBlobFile(await blobs.localFile(sha256));
 */
export function openBlobFile(file: string): BlobReader {
  return openBlob(fileSource(file));
}

function f32Reader(source: PositionalSource, entry: TensorEntry, start: number): TensorReader {
  const n = elementCount(entry.shape);
  return {
    name: entry.name,
    shape: entry.shape,
    read: (from, into) => {
      if (!Number.isSafeInteger(from) || from < 0 || from + into.length > n) {
        throw new RangeError(
          `tensor "${entry.name}" has ${n} values; values ${from}..${from + into.length} were asked for`,
        );
      }
      const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
      readExactly(source, start + ENCODING_BYTES.f32 * from, bytes.length, entry.name, bytes);
    },
  };
}

/** Bytes [position, position + length) of the source, or fewer where it ends. */
function readRange(source: PositionalSource, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  return out.subarray(0, source.readInto(out, position));
}

/** Exactly `length` bytes of tensor `tensor` from `position`; a short read names source and tensor. */
function readExactly(
  source: PositionalSource,
  position: number,
  length: number,
  tensor: string,
  into: Uint8Array = new Uint8Array(length),
): Uint8Array {
  const done = source.readInto(into, position);
  if (done < length) {
    throw new Error(`${source.name} ended at byte ${position + done} inside tensor "${tensor}"`);
  }
  return into;
}
