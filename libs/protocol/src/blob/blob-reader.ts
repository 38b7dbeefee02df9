import { elementCount, type NamedTensor } from '../tensor';
import { assertDecodable, assertHeaderWithin, decodeValues, readBlobHeader } from './decode';
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

/**
 * A tensor of an opened blob: {@link openBlob} gives only readers; the union lets consumers take
 * decoded tensors in memory too.
 */
export type BlobTensor = TensorReader | NamedTensor;

export interface OpenBlobOptions {
  /** Refuse a longer JSON header before reading it (`blobBounds(layout).maxHeaderBytes`). */
  readonly maxHeaderBytes?: number;
}

/** A blob opened by {@link openBlob}: its validated header and its tensors in header order. */
export interface BlobReader {
  readonly header: BlobHeader;
  readonly tensors: readonly BlobTensor[];
  /** Closes the source; the tensors' `read` fails after it. Safe to call twice. */
  close(): void;
}

/**
 * Opens a weights blob for reading without holding it in memory: reads the header (validated by
 * `readBlobHeader`, a BlobFormatError on a malformed or truncated blob; one longer than
 * `maxHeaderBytes` is refused from the preamble, before it is read or parsed), then gives every
 * tensor as a {@link TensorReader} that reads a chunk from the source into the caller's buffer: f32
 * straight, f16 and q8 through a scratch buffer of the chunk's encoded bytes, decoded by
 * `decodeBlob`'s own decoder (`decodeValues`) — so an 80 MB DenseNet201 update, or a q8 one that
 * would expand to 4× its size, is checked and folded with memory of one chunk, never one tensor
 * or one update. f32 values are not checked for NaN/±∞ here (`decodeBlob` does; a consumer of a
 * reader must, as `StreamingFedAvg` does); f16 ones are (a non-finite f16 is a BlobFormatError). A
 * source that ends inside a tensor, as a file truncated after it was opened, is an error naming
 * the source and the tensor.
 *
 * @example
 * const update = openBlob(fileSource(spool.file)); // or openBlobFile(spool.file)
 * try { fedavg.check(update.tensors, 120); } finally { update.close(); }
 */
export function openBlob(source: PositionalSource, options: OpenBlobOptions = {}): BlobReader {
  const maxHeaderBytes = options.maxHeaderBytes ?? Infinity;
  try {
    const preamble = readRange(source, 0, Math.min(source.size, BLOB_PREAMBLE_BYTES));
    const headEnd = assertHeaderWithin(preamble, maxHeaderBytes);
    const head = readRange(source, 0, Math.min(source.size, headEnd));
    const { header, dataStart } = readBlobHeader(head, source.size, maxHeaderBytes);
    const tensors = header.tensors.map((entry): TensorReader => {
      const start = dataStart + entry.offset;
      if (entry.encoding === 'f32') return f32Reader(source, entry, start);
      assertDecodable(entry);
      return decodingReader(source, entry, start);
    });
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
export function openBlobFile(file: string, options: OpenBlobOptions = {}): BlobReader {
  return openBlob(fileSource(file), options);
}

function f32Reader(source: PositionalSource, entry: TensorEntry, start: number): TensorReader {
  return {
    name: entry.name,
    shape: entry.shape,
    read: (from, into) => {
      assertInRange(entry, from, into.length);
      const bytes = new Uint8Array(into.buffer, into.byteOffset, into.byteLength);
      readExactly(source, start + ENCODING_BYTES.f32 * from, bytes.length, entry.name, bytes);
    },
  };
}

/** An f16 or q8 tensor read a chunk at a time: its encoded bytes into a scratch buffer, decoded into `into`. */
function decodingReader(source: PositionalSource, entry: TensorEntry, start: number): TensorReader {
  const width = ENCODING_BYTES[entry.encoding];
  let scratch = new Uint8Array(0);
  return {
    name: entry.name,
    shape: entry.shape,
    read: (from, into) => {
      assertInRange(entry, from, into.length);
      const length = into.length * width;
      if (scratch.length < length) scratch = new Uint8Array(length); // grows to the largest chunk asked
      const bytes = readExactly(
        source,
        start + width * from,
        length,
        entry.name,
        scratch.subarray(0, length),
      );
      decodeValues(entry, bytes, into, from);
    },
  };
}

function assertInRange(entry: TensorEntry, from: number, count: number): void {
  const n = elementCount(entry.shape);
  if (!Number.isSafeInteger(from) || from < 0 || from + count > n) {
    throw new RangeError(
      `tensor "${entry.name}" has ${n} values; values ${from}..${from + count} were asked for`,
    );
  }
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
