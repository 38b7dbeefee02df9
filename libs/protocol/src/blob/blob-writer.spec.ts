import { describe, expect, it } from '@jest/globals';
import type { NamedTensor } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { f32BlobChunks, f32BlobLayout } from './blob-writer';
import { encodeBlob } from './encode';
import { blobSha256 } from './sha256';

const tensor = (name: string, shape: number[], values: number[]): NamedTensor =>
  Object.freeze({ name, shape: Object.freeze(shape) as number[], values: new Float32Array(values) });

// Odd lengths (3 and 5 floats) make the 8-byte alignment padding matter; −0, a denormal-range value,
// the float32 extremes, a scalar and an empty tensor check that no bit is lost or added.
const tensors: readonly NamedTensor[] = Object.freeze([
  tensor('a', [3], [1, -0, 2.5]),
  tensor('b/c', [5, 1], [1e-30, -3, 4, 3.4028234663852886e38, 1.401298464324817e-45]),
  tensor('empty', [0], []),
  tensor('e', [], [7]),
  tensor(
    'long',
    [2, 9],
    Array.from({ length: 18 }, (_, i) => Math.sin(i)),
  ),
]);

/** Every chunk copied as it comes (the writer reuses its buffer), then concatenated. */
function collect(chunks: Iterable<Uint8Array>): Uint8Array {
  const copies: Buffer[] = [];
  for (const c of chunks) copies.push(Buffer.from(c));
  return Buffer.concat(copies);
}

const fillFrom =
  (source: readonly NamedTensor[]) =>
  (k: number, from: number, out: Float32Array): void =>
    out.set((source[k] as NamedTensor).values.subarray(from, from + out.length));

describe('f32BlobLayout', () => {
  it('gives the head and offsets from which a blob assembled piece by piece equals encodeBlob', () => {
    const layout = f32BlobLayout(tensors.map(({ name, shape }) => ({ name, shape })));
    const assembled = new Uint8Array(layout.totalBytes); // gaps stay zero
    assembled.set(layout.head);
    tensors.forEach((t, i) => {
      const { offset, length } = layout.tensors[i]!;
      expect(length).toBe(4 * t.values.length);
      assembled.set(new Uint8Array(t.values.buffer), layout.head.length + offset);
    });
    const reference = encodeBlob(tensors);
    expect(Buffer.from(assembled).equals(Buffer.from(reference.bytes))).toBe(true);
    expect(blobSha256(assembled)).toBe(reference.sha256);
  });

  it('refuses a duplicate name', () => {
    expect(() =>
      f32BlobLayout([
        { name: 'w', shape: [1] },
        { name: 'w', shape: [1] },
      ]),
    ).toThrow(/duplicate/);
  });
});

describe('f32BlobChunks', () => {
  const reference = encodeBlob(tensors);

  it.each([1, 2, 4, 7, 1 << 16])(
    'yields the bytes and sha256 of encodeBlob byte for byte, %i floats per chunk',
    (chunkValues) => {
      const written = collect(f32BlobChunks(tensors, fillFrom(tensors), chunkValues));
      expect(Buffer.from(written).equals(Buffer.from(reference.bytes))).toBe(true);
      expect(blobSha256(written)).toBe(reference.sha256);
    },
  );

  it('asks for each tensor chunk by chunk, in order, into one reused buffer', () => {
    const asked: [number, number, number][] = [];
    const buffers = new Set<ArrayBufferLike>();
    const chunks = f32BlobChunks(
      tensors,
      (k, from, out) => {
        asked.push([k, from, out.length]);
        buffers.add(out.buffer);
        fillFrom(tensors)(k, from, out);
      },
      4,
    );
    collect(chunks);
    expect(asked).toEqual([
      [0, 0, 3],
      [1, 0, 4],
      [1, 4, 1],
      [3, 0, 1],
      [4, 0, 4],
      [4, 4, 4],
      [4, 8, 4],
      [4, 12, 4],
      [4, 16, 2],
    ]);
    expect(buffers.size).toBe(1);
  });

  it('refuses a non-finite value as encodeBlob does, naming the tensor and the index in it', () => {
    const bad = [tensor('a', [3], [1, 2, 3]), tensor('w', [6], [0, 1, 2, 3, 4, NaN])];
    const chunks = f32BlobChunks(bad, fillFrom(bad), 4);
    expect(() => collect(chunks)).toThrow(new BlobFormatError('value NaN at index 5 is not finite', 'w'));
    expect(() => encodeBlob(bad)).toThrow('tensor "w": value NaN at index 5 is not finite');
  });

  it('refuses a chunk size that is not a positive integer', () => {
    expect(() => collect(f32BlobChunks(tensors, fillFrom(tensors), 0))).toThrow(RangeError);
  });
});
