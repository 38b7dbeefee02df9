import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { NamedTensor } from '../tensor';
import { BlobFormatError } from './blob-format-error';
import { decodeBlob, readBlobHeader } from './decode';
import { encodeBlob } from './encode';
import { BLOB_MAGIC } from './header';
import { blobSha256 } from './sha256';

const tensor = (name: string, shape: number[], values: number[]): NamedTensor =>
  Object.freeze({ name, shape: Object.freeze(shape) as number[], values: new Float32Array(values) });

const weights: readonly NamedTensor[] = Object.freeze([
  tensor('conv1/kernel', [2, 3], [1, -0, 0.1, -2.5e-3, 3.4028234663852886e38, 1.401298464324817e-45]),
  tensor('conv1/bias', [3], [0, 0.5, -0.75]),
  tensor('scalar', [], [42]),
  tensor('empty', [0], []),
]);

/** Hand-assembles a blob (magic, u32 length, JSON, pad to 8, data) so tests can tamper with any part. */
function assemble(header: unknown, data: Uint8Array, magic: Uint8Array = BLOB_MAGIC): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 8) * 8;
  const out = new Uint8Array(start + data.length);
  out.set(magic, 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, start);
  return out;
}

const f32Bytes = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
const entry = (name: string, shape: number[], offset: number, length: number) => ({
  name,
  shape,
  dtype: 'float32',
  encoding: 'f32',
  offset,
  length,
});

describe('encodeBlob / decodeBlob', () => {
  it('round-trips f32 bit for bit, including −0 and the float32 extremes', () => {
    const decoded = decodeBlob(encodeBlob(weights).bytes);
    expect(decoded.map((t) => [t.name, t.shape])).toEqual(weights.map((t) => [t.name, t.shape]));
    decoded.forEach((t, i) => {
      const original = weights[i] as NamedTensor;
      expect(Buffer.from(t.values.buffer)).toEqual(Buffer.from(original.values.buffer));
    });
    expect(Object.is(decoded[0]?.values[1], -0)).toBe(true);
  });

  it('names the blob by the sha256 of its bytes', () => {
    const { bytes, sha256 } = encodeBlob(weights);
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // FIPS 180-2 test vector: sha256("abc").
    expect(blobSha256(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('lays tensors out at 8-byte-aligned offsets and keeps tensor data out of the JSON header', () => {
    const { bytes } = encodeBlob(weights, { encodings: { 'conv1/bias': 'f16', scalar: 'q8' } });
    const { header, dataStart } = readBlobHeader(bytes);
    expect(dataStart % 8).toBe(0);
    expect(header.tensors.map((t) => [t.encoding, t.offset % 8, t.length])).toEqual([
      ['f32', 0, 24],
      ['f16', 0, 6],
      ['q8', 0, 1],
      ['f32', 0, 0],
    ]);
    const json = new TextDecoder().decode(bytes.subarray(12, dataStart));
    expect(json).not.toContain('0.5');
    expect(Object.keys(header.tensors[0] ?? {}).sort()).toEqual([
      'dtype',
      'encoding',
      'length',
      'name',
      'offset',
      'shape',
    ]);
  });

  it('decodes f16 and q8 tensors within their error bounds', () => {
    const { bytes } = encodeBlob(weights.slice(1), { encoding: 'f16', encodings: { scalar: 'q8' } });
    const [bias, scalar] = decodeBlob(bytes);
    expect([...(bias?.values ?? [])]).toEqual([0, 0.5, -0.75]); // exactly representable in binary16
    expect(scalar?.values[0]).toBe(42); // constant tensor: scale 0, exact
  });

  it('rejects values outside the float16 range, naming the tensor', () => {
    expect(() => encodeBlob([tensor('big', [1], [70000])], { encoding: 'f16' })).toThrow(
      'tensor "big": value 70000 at index 0 is outside the float16 range',
    );
  });

  it('rejects non-finite input, duplicate names, shape mismatches and unknown per-tensor encodings', () => {
    expect(() => encodeBlob([tensor('w', [1], [NaN])])).toThrow(
      'tensor "w": value NaN at index 0 is not finite',
    );
    expect(() => encodeBlob([tensor('w', [1], [1]), tensor('w', [1], [2])])).toThrow('tensor "w": duplicate');
    expect(() => encodeBlob([tensor('w', [2, 2], [1])])).toThrow(
      'tensor "w": has 1 values but shape [2, 2] needs 4',
    );
    expect(() => encodeBlob(weights, { encodings: { nope: 'f16' } })).toThrow('tensor "nope"');
  });
});

describe('decodeBlob rejects malformed blobs', () => {
  const good = { format: 1, tensors: [entry('a', [2], 0, 8), entry('b', [1], 8, 4)] };
  const data = f32Bytes([1, 2, 0, 3]).subarray(0, 12); // a at 0..8, b at 8..12
  const cases: [string, Uint8Array, string][] = [
    ['truncated preamble', BLOB_MAGIC.subarray(0, 5), 'truncated'],
    ['truncated data', assemble(good, data.subarray(0, 10)), 'tensor "b": bytes 8..12 are out of range'],
    ['trailing bytes', assemble(good, new Uint8Array([...data, 0, 0, 0, 0])), '4 trailing bytes'],
    ['bad magic', assemble(good, data, new TextEncoder().encode('FEDALN2\0')), 'bad magic'],
    ['unknown format', assemble({ ...good, format: 2 }, data), 'unsupported blob format 2'],
    [
      'shape/length mismatch',
      assemble({ format: 1, tensors: [entry('a', [3], 0, 8), entry('b', [1], 8, 4)] }, data),
      'tensor "a": length 8 does not match shape [3]',
    ],
    [
      'overlapping offsets',
      assemble({ format: 1, tensors: [entry('a', [2], 0, 8), entry('b', [1], 0, 4)] }, data),
      'tensor "b": offset 0 overlaps',
    ],
    [
      'gap between tensors',
      assemble({ format: 1, tensors: [entry('a', [1], 0, 4), entry('b', [1], 16, 4)] }, new Uint8Array(20)),
      'tensor "b": offset 16 leaves a gap',
    ],
    [
      'duplicate names',
      assemble({ format: 1, tensors: [entry('a', [2], 0, 8), entry('a', [1], 8, 4)] }, data),
      'tensor "a": duplicate tensor name',
    ],
    [
      'non-finite f32 data',
      assemble({ format: 1, tensors: [entry('a', [1], 0, 4)] }, f32Bytes([Infinity])),
      'tensor "a": value at index 0 is not finite',
    ],
    [
      'non-finite f16 data',
      assemble(
        { format: 1, tensors: [{ ...entry('h', [1], 0, 2), encoding: 'f16' }] },
        new Uint8Array([0x00, 0x7e]),
      ),
      'tensor "h": value at index 0 is not finite',
    ],
    [
      'q8 without scale',
      assemble(
        { format: 1, tensors: [{ ...entry('q', [1], 0, 1), encoding: 'q8', min: 0 }] },
        new Uint8Array(1),
      ),
      'tensor "q": q8 scale undefined is invalid',
    ],
    ['header not JSON', assemble('x', new Uint8Array()).fill(0x7b, 12, 15), 'header is not UTF-8 JSON'],
  ];
  it.each(cases)('%s', (_label, bytes, message) => {
    expect(() => decodeBlob(bytes)).toThrow(BlobFormatError);
    expect(() => decodeBlob(bytes)).toThrow(message);
  });

  it('accepts the hand-assembled well-formed blob those cases are derived from', () => {
    expect(decodeBlob(assemble(good, data)).map((t) => [...t.values])).toEqual([[1, 2], [0]]);
  });
});
