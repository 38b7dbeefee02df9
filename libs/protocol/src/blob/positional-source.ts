import * as fs from 'node:fs';

/**
 * Bytes read by position, synchronously — a file descriptor or bytes in memory — so a blob can be
 * read tensor by tensor, chunk by chunk, from inside a synchronous fold (see `openBlob`).
 */
export interface PositionalSource {
  /** What the bytes are, for error messages: a file's path, say. */
  readonly name: string;
  /** Bytes in the source when it was opened. */
  readonly size: number;
  /** Copies bytes from `position` into `into` until it is full or the source ends; returns how many. */
  readInto(into: Uint8Array, position: number): number;
  /** Releases the source (closes the file); safe to call twice. */
  close(): void;
}

/**
 * A file opened for positional reads (`fs.readSync` on one descriptor). Close it when done.
 *
 * @example
 * const source = fileSource(spool.file); // source.size: the file's bytes
 */
export function fileSource(file: string): PositionalSource {
  const fd = fs.openSync(file, 'r');
  let open = true;
  const close = (): void => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  let size: number;
  try {
    size = fs.fstatSync(fd).size;
  } catch (e) {
    close();
    throw e;
  }
  return {
    name: file,
    size,
    readInto: (into, position) => {
      if (!open) throw new Error(`${file} was closed before it was read`);
      let done = 0;
      while (done < into.length) {
        const n = fs.readSync(fd, into, done, into.length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close,
  };
}

/**
 * Bytes in memory as a {@link PositionalSource} (reads copy; closing does nothing).
 *
 * @example
 * const reader = openBlob(bytesSource(encodeBlob(weights).bytes));
 */
export function bytesSource(bytes: Uint8Array, name = 'blob in memory'): PositionalSource {
  return {
    name,
    size: bytes.length,
    readInto: (into, position) => {
      const part = bytes.subarray(position, position + into.length);
      into.set(part);
      return part.length;
    },
    close: () => undefined,
  };
}
