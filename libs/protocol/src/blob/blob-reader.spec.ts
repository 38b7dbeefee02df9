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

  it('reads f32 tensors on demand and decodes the others whole', () => {
    const { bytes } = encodeBlob(update, { encodings: { 'fc/bias': 'f16' } });
    const reader = openBlob(bytesSource(bytes));
    expect(reader.tensors.map((t) => ('values' in t ? 'decoded' : 'on demand'))).toEqual([
      'on demand',
      'decoded',
      'on demand',
    ]);
    expect(reader.header.tensors.map((t) => t.encoding)).toEqual(['f32', 'f16', 'f32']);
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
