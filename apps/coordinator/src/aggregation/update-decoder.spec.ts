import { describe, expect, it } from '@jest/globals';
import { decodeBlob, encodeBlob } from '@fedaln/protocol';
import { decodeUpdate } from './update-decoder';

const update = Object.freeze([
  { name: 'conv/kernel', shape: [2, 3], values: new Float32Array([0.5, -0.25, 1, 2, -3, 0.125]) },
  { name: 'fc/bias', shape: [2], values: new Float32Array([1e-3, -1e-3]) },
]);

describe('decodeUpdate', () => {
  it('gives the same tensors as decodeBlob (the reference codec), f32 and f16', () => {
    for (const encoding of ['f32', 'f16'] as const) {
      const { bytes } = encodeBlob(update, { encoding });
      const ours = decodeUpdate(bytes);
      const reference = decodeBlob(bytes);
      expect(ours.map((t) => [t.name, t.shape, Array.from(t.values)])).toEqual(
        reference.map((t) => [t.name, t.shape, Array.from(t.values)]),
      );
    }
  });

  it('views an f32 blob instead of copying it', () => {
    const { bytes } = encodeBlob(update);
    expect(decodeUpdate(bytes)[0]?.values.buffer).toBe(bytes.buffer);
  });
});
