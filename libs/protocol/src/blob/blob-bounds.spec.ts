import { describe, expect, it } from '@jest/globals';
import { blobBounds } from './blob-bounds';
import { encodeBlob } from './encode';
import { BLOB_PREAMBLE_BYTES, TENSOR_ENCODINGS } from './header';

const layout = Object.freeze([
  { name: 'conv1/conv/kernel', shape: [7, 7, 3, 64] },
  { name: 'bn/gamma', shape: [64] },
  { name: 'dense/kernel', shape: [1920, 1] },
  { name: 'ünïcode', shape: [3] }, // multi-byte UTF-8 in the name
]);

/** Values whose q8 parameters print at their longest: min and scale with 17 significant digits. */
const awkward = (n: number, k: number) =>
  Float32Array.from({ length: n }, (_, i) => -1.2345678e-6 * (k + 1) + i * 1.0000001e-7);

describe('blobBounds', () => {
  it('worked example: one dense kernel', () => {
    // {"format":1,"tensors":[{"name":"dense/kernel","shape":[1920,1],"dtype":"float32","encoding":"q8",
    // "offset":9007199254740991,"length":9007199254740991,"scale":-0.0000012345678901234567,"min":…}]}
    // counted: 217 bytes; data 1920 × 4 = 7680; 12 + 217 = 229 → 232 aligned.
    expect(blobBounds([{ name: 'dense/kernel', shape: [1920, 1] }])).toEqual({
      maxHeaderBytes: 217,
      maxBlobBytes: 232 + 7680,
    });
  });

  it.each(TENSOR_ENCODINGS)('is never below what encodeBlob makes of the layout, all %s', (encoding) => {
    const bounds = blobBounds(layout);
    const { bytes } = encodeBlob(
      layout.map((t, k) => ({
        ...t,
        values: awkward(
          t.shape.reduce((a, b) => a * b, 1),
          k,
        ),
      })),
      { encoding },
    );
    const headerBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    expect(headerBytes).toBeLessThanOrEqual(bounds.maxHeaderBytes);
    expect(bytes.length).toBeLessThanOrEqual(bounds.maxBlobBytes);
    expect(BLOB_PREAMBLE_BYTES + headerBytes).toBeLessThan(bounds.maxBlobBytes);
  });

  it('is tight: an f32 update of the layout is within 2 % of the blob bound', () => {
    const bounds = blobBounds(layout);
    const { bytes } = encodeBlob(
      layout.map((t) => ({ ...t, values: new Float32Array(t.shape.reduce((a, b) => a * b, 1)) })),
    );
    expect(bytes.length / bounds.maxBlobBytes).toBeGreaterThan(0.98);
  });
});
