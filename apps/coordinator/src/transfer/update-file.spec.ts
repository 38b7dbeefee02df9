import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobFormatError, decodeBlob, encodeBlob } from '@fedaln/protocol';
import { openUpdateFile } from './update-file';

const update = Object.freeze([
  {
    name: 'conv/kernel',
    shape: [3, 3, 1, 70],
    values: Float32Array.from({ length: 630 }, (_, i) => Math.sin(i)),
  },
  { name: 'fc/bias', shape: [3], values: new Float32Array([1e-3, -0, 7]) },
]);

function writeTemp(bytes: Uint8Array): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-update-file-')), 'update.blob');
  fs.writeFileSync(file, bytes);
  return file;
}

/** Reads a tensor through its source in chunks of `chunk` values. */
function readThrough(
  t: { shape: readonly number[]; read?: (from: number, into: Float32Array) => void },
  chunk: number,
) {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let from = 0; from < n; from += chunk) t.read?.(from, out.subarray(from, Math.min(n, from + chunk)));
  return out;
}

describe('openUpdateFile', () => {
  it('reads an f32 blob on demand, chunk by chunk, as decodeBlob (the reference codec) decodes it', () => {
    const { bytes } = encodeBlob(update);
    const file = openUpdateFile(writeTemp(bytes));
    const reference = decodeBlob(bytes);
    try {
      expect(file.tensors.map((t) => [t.name, t.shape])).toEqual(reference.map((t) => [t.name, t.shape]));
      file.tensors.forEach((t, k) => {
        expect('values' in t).toBe(false);
        const values = readThrough(t as never, 64);
        expect(Buffer.from(values.buffer).equals(Buffer.from(reference[k]!.values.buffer))).toBe(true);
      });
    } finally {
      file.close();
    }
  });

  it('decodes f16 blobs whole (no on-demand reads for other encodings)', () => {
    const { bytes } = encodeBlob(update, { encoding: 'f16' });
    const file = openUpdateFile(writeTemp(bytes));
    expect(file.tensors.map((t) => Array.from((t as { values: Float32Array }).values))).toEqual(
      decodeBlob(bytes).map((t) => Array.from(t.values)),
    );
    file.close();
  });

  it('refuses a malformed or truncated blob with a BlobFormatError naming the problem', () => {
    const { bytes } = encodeBlob(update);
    expect(() => openUpdateFile(writeTemp(bytes.subarray(0, bytes.length - 8)))).toThrow(BlobFormatError);
    expect(() => openUpdateFile(writeTemp(bytes.subarray(0, 6)))).toThrow(/truncated/);
    const bad = Uint8Array.from(bytes);
    bad[0] = 0;
    expect(() => openUpdateFile(writeTemp(bad))).toThrow(/bad magic/);
  });
});
