import { describe, expect, it } from '@jest/globals';
import { foldTwoLimb, readTwoLimb, T_MAX } from './two-limb-sum';

/** Park–Miller generator for float32 values over many binades, both signs. */
function float32s(count: number, seed: number): Float32Array {
  let s = seed;
  const u = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  return Float32Array.from({ length: count }, () => (u() - 0.5) * 2 ** (Math.floor(u() * 40) - 28));
}

describe('two-limb fixed-point fold (proof steps in two-limb-sum.ts)', () => {
  const x = float32s(5000, 3);

  it('splits each term n·δ exactly into hi on the 2⁻¹³ grid and |lo| ≤ 2⁻¹⁴ (steps 1, 3–5)', () => {
    const n = 97;
    const acc = new Float64Array(2 * x.length);
    expect(foldTwoLimb(acc, x, n, 1, 0, x.length)).toBe(x.length);
    const bad: number[] = [];
    for (let i = 0; i < x.length; i++) {
      const hi = acc[2 * i] as number;
      const lo = acc[2 * i + 1] as number;
      const t = n * (x[i] as number); // exact: 7-bit × 24-bit significands
      // Every |δ| here is ≥ 2⁻²⁹ (or the term is below the 2⁻⁵² grid and checked separately below),
      // so hi + lo is t exactly, and hi·2¹³ is an integer.
      const onGrid = Math.abs(x[i] as number) >= 2 ** -29;
      if (!Number.isInteger(hi * 2 ** 13) || Math.abs(lo) > 2 ** -14 || (onGrid && hi + lo !== t))
        bad.push(i);
    }
    expect(bad).toEqual([]);
  });

  it('rounds a term below the 2⁻⁵² grid to it, the same way in any order (step 5)', () => {
    // 2⁻⁶⁰ is 2⁻⁸ of a grid step: rounds to 0; 3·2⁻⁵⁴ is 0.75 of a step: rounds to 2⁻⁵².
    const acc = new Float64Array(4);
    foldTwoLimb(acc, new Float32Array([2 ** -60, 3 * 2 ** -54]), 1, 1, 0, 2);
    expect([...acc]).toEqual([0, 0, 0, 2 ** -52]);
  });

  it('undoes a fold exactly, back to +0 limbs (steps 6, 7)', () => {
    const acc = new Float64Array(2 * x.length);
    const other = float32s(x.length, 9);
    foldTwoLimb(acc, other, 5, 1, 0, x.length);
    const before = Buffer.from(acc.buffer).toString('hex');
    foldTwoLimb(acc, x, 1234, 1, 0, x.length);
    foldTwoLimb(acc, x, 1234, -1, 0, x.length);
    expect(Buffer.from(acc.buffer).toString('hex')).toBe(before);
    foldTwoLimb(acc, other, 5, -1, 0, x.length);
    expect(acc.every((v) => Object.is(v, 0))).toBe(true);
  });

  it('stops at the first term beyond ±2²⁵ or not finite, before folding it', () => {
    const acc = new Float64Array(6);
    expect(foldTwoLimb(acc, new Float32Array([1, T_MAX / 4 + 8, 1]), 4, 1, 0, 3)).toBe(1);
    expect([...acc]).toEqual([4, 0, 0, 0, 0, 0]);
    expect(foldTwoLimb(new Float64Array(2), new Float32Array([NaN]), 1, 1, 0, 1)).toBe(0);
  });

  it('reads (hi + lo)/W, optionally onto a base', () => {
    const acc = new Float64Array([6, 2 ** -20, -3, 0]);
    const out = new Float32Array(2);
    readTwoLimb(acc, 3, out);
    expect([...out]).toEqual([Math.fround((6 + 2 ** -20) / 3), -1]);
    readTwoLimb(acc, 3, out, new Float32Array([1, 1]));
    expect([...out]).toEqual([Math.fround(1 + (6 + 2 ** -20) / 3), 0]);
  });
});
