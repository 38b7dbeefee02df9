import { describe, expect, it } from '@jest/globals';
import { T_MAX, UpdateRejected } from '@fedaln/aggregation';
import { decodeBlob, encodeBlob } from '@fedaln/protocol';
import { assertFoldable, decodeUpdate } from './update-decoder';

const layout = [
  { name: 'conv/kernel', shape: [2, 3] },
  { name: 'fc/bias', shape: [2] },
];
const update = Object.freeze([
  { name: 'conv/kernel', shape: [2, 3], values: new Float32Array([0.5, -0.25, 1, 2, -3, 0.125]) },
  { name: 'fc/bias', shape: [2], values: new Float32Array([1e-3, -1e-3]) },
]);

function rejection(f: () => void): UpdateRejected {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UpdateRejected);
    return e as UpdateRejected;
  }
  throw new Error('expected an UpdateRejected');
}

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

describe('assertFoldable', () => {
  it('accepts an update of the global layout, in any tensor order', () => {
    expect(() => assertFoldable([...update].reverse(), layout, 100)).not.toThrow();
  });

  it('names a missing, an extra and a mis-shaped tensor', () => {
    expect(rejection(() => assertFoldable(update.slice(0, 1), layout, 1)).message).toBe(
      'tensor "fc/bias": is missing from the update',
    );
    const extra = [...update, { name: 'x', shape: [1], values: new Float32Array(1) }];
    expect(rejection(() => assertFoldable(extra, layout, 1)).tensor).toBe('x');
    const reshaped = [update[0]!, { name: 'fc/bias', shape: [1, 2], values: new Float32Array(2) }];
    expect(rejection(() => assertFoldable(reshaped, layout, 1)).code).toBe('layout_mismatch');
  });

  it('refuses NaN and values whose n·δ exceeds the exact accumulator range 2^25', () => {
    const nan = [update[0]!, { name: 'fc/bias', shape: [2], values: new Float32Array([0, NaN]) }];
    const r = rejection(() => assertFoldable(nan, layout, 1));
    expect([r.code, r.tensor, r.index]).toEqual(['non_finite', 'fc/bias', 1]);
    // 2^20 × 64 samples = 2^26 > T_MAX = 2^25; the same value with 16 samples is 2^24, inside.
    const big = [update[0]!, { name: 'fc/bias', shape: [2], values: new Float32Array([2 ** 20, 0]) }];
    expect(T_MAX).toBe(2 ** 25);
    expect(rejection(() => assertFoldable(big, layout, 64)).code).toBe('out_of_range');
    expect(() => assertFoldable(big, layout, 16)).not.toThrow();
  });
});
