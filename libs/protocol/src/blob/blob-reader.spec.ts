import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NamedTensor } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { openBlob, openBlobFile, type BlobTensor } from './blob-reader';
import { decodeBlob } from './decode';
import { encodeBlob } from './encode';
import type { TensorEncoding } from './header';
import { bytesSource } from './positional-source';

const update: readonly NamedTensor[] = Object.freeze([
  {
    name: 'conv/kernel',
    shape: [3, 3, 1, 70],
    values: Float32Array.from({ length: 630 }, (_, i) => Math.sin(i)),
  },
  { name: 'fc/bias', shape: [3], values: new Float32Array([1e-3, -0, 7]) },
  { name: 'empty', shape: [0], values: new Float32Array(0) },
]);

function writeTemp(bytes: Uint8Array): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-blob-reader-')), 'update.blob');
  fs.writeFileSync(file, bytes);
  return file;
}

/** A tensor's values: read through its reader in chunks of `chunk` values, or as decoded. */
function valuesOf(t: BlobTensor, chunk: number): Float32Array {
  if ('values' in t) return t.values;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let from = 0; from < n; from += chunk) t.read(from, out.subarray(from, Math.min(n, from + chunk)));
  return out;
}

const bits = (values: Float32Array): Buffer =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength);

describe('openBlob', () => {
  const encodings: [string, { encoding?: TensorEncoding; encodings?: Record<string, TensorEncoding> }][] = [
    ['f32', {}],
    ['f16', { encoding: 'f16' }],
    ['q8', { encoding: 'q8' }],
    ['mixed', { encodings: { 'conv/kernel': 'q8', 'fc/bias': 'f16' } }],
  ];

  it.each(encodings)(
    'gives the tensors decodeBlob (the reference codec) gives, %s, from a file',
    (_, opts) => {
      const { bytes } = encodeBlob(update, opts);
      const reference = decodeBlob(bytes);
      const reader = openBlobFile(writeTemp(bytes));
      try {
        expect(reader.tensors.map((t) => [t.name, t.shape])).toEqual(reference.map((t) => [t.name, t.shape]));
        reader.tensors.forEach((t, k) =>
          expect(bits(valuesOf(t, 64)).equals(bits(reference[k]!.values))).toBe(true),
        );
      } finally {
        reader.close();
      }
    },
  );

  it('reads every tensor on demand, f16 and q8 included: nothing is decoded at open', () => {
    const { bytes } = encodeBlob(update, { encodings: { 'conv/kernel': 'q8', 'fc/bias': 'f16' } });
    const reader = openBlob(bytesSource(bytes));
    expect(reader.tensors.every((t) => !('values' in t))).toBe(true);
    expect(reader.header.tensors.map((t) => t.encoding)).toEqual(['q8', 'f16', 'f32']);
  });

  it('refuses a non-finite f16 value when its chunk is read, naming the index', () => {
    const { bytes } = encodeBlob([{ name: 'h', shape: [4], values: new Float32Array(4) }], {
      encoding: 'f16',
    });
    const bad = Uint8Array.from(bytes);
    bad.set([0x00, 0x7c], bad.length - 4); // value 2 := +∞ in IEEE 754 binary16 (0x7c00)
    const [h] = openBlob(bytesSource(bad)).tensors;
    if (!h || 'values' in h) throw new Error('expected a reader');
    expect(() => h.read(0, new Float32Array(2))).not.toThrow();
    expect(() => h.read(2, new Float32Array(2))).toThrow('tensor "h": value at index 2 is not finite');
  });

  it('refuses a header longer than maxHeaderBytes from the preamble, before reading it', () => {
    const { bytes } = encodeBlob(update);
    const headerBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    const reads: number[] = [];
    const source = bytesSource(bytes);
    const counting = {
      ...source,
      readInto: (into: Uint8Array, at: number) => (reads.push(into.length), source.readInto(into, at)),
    };
    expect(() => openBlob(counting, { maxHeaderBytes: headerBytes - 1 })).toThrow(
      `header is ${headerBytes} bytes; the expected tensor layout needs at most ${headerBytes - 1}, so it was not parsed`,
    );
    expect(reads).toEqual([12]); // the preamble only
    expect(openBlob(bytesSource(bytes), { maxHeaderBytes: headerBytes }).tensors).toHaveLength(3);
  });

  it('reads from bytes in memory as from a file', () => {
    const { bytes } = encodeBlob(update);
    const reader = openBlob(bytesSource(bytes));
    const reference = decodeBlob(bytes);
    reader.tensors.forEach((t, k) =>
      expect(bits(valuesOf(t, 7)).equals(bits(reference[k]!.values))).toBe(true),
    );
  });

  it('refuses a read outside the tensor', () => {
    const reader = openBlob(bytesSource(encodeBlob(update).bytes));
    const bias = reader.tensors[1]!;
    if ('values' in bias) throw new Error('f32 tensors are read on demand');
    expect(() => bias.read(2, new Float32Array(2))).toThrow(
      'tensor "fc/bias" has 3 values; values 2..4 were asked for',
    );
  });

  it('refuses a malformed or truncated blob with a BlobFormatError naming the problem', () => {
    const { bytes } = encodeBlob(update);
    expect(() => openBlobFile(writeTemp(bytes.subarray(0, bytes.length - 8)))).toThrow(BlobFormatError);
    expect(() => openBlobFile(writeTemp(bytes.subarray(0, bytes.length - 8)))).toThrow(
      'tensor "fc/bias": bytes 2520..2532 are out of range',
    );
    expect(() => openBlobFile(writeTemp(bytes.subarray(0, 6)))).toThrow(/truncated/);
    expect(() => openBlobFile(writeTemp(bytes.subarray(0, 20)))).toThrow(/truncated: header says/);
    const bad = Uint8Array.from(bytes);
    bad[0] = 0;
    expect(() => openBlobFile(writeTemp(bad))).toThrow(/bad magic/);
  });

  it('names the file and the tensor when the file is cut short after it was opened', () => {
    const { bytes } = encodeBlob(update);
    const file = writeTemp(bytes);
    const reader = openBlobFile(file);
    try {
      fs.truncateSync(file, bytes.length - 8); // the last 2 of fc/bias's 3 values are gone
      const bias = reader.tensors[1]!;
      if ('values' in bias) throw new Error('f32 tensors are read on demand');
      expect(() => bias.read(0, new Float32Array(3))).toThrow(
        `${file} ended at byte ${bytes.length - 8} inside tensor "fc/bias"`,
      );
    } finally {
      reader.close();
    }
  });

  it('closes the file: reads fail after close, and close is idempotent', () => {
    const reader = openBlobFile(writeTemp(encodeBlob(update).bytes));
    reader.close();
    reader.close();
    const kernel = reader.tensors[0]!;
    if ('values' in kernel) throw new Error('f32 tensors are read on demand');
    expect(() => kernel.read(0, new Float32Array(1))).toThrow(/was closed/);
  });
});
