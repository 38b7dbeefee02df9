import { describe, expect, it } from '@jest/globals';
import { float16BitsToNumber, float32BitsToFloat16Bits } from './f16';
import reference from './fixtures/f16_reference.json';

const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0] as number;
const f32FromBits = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0] as number;

describe('float32 → float16 (round to nearest even)', () => {
  // Reference: numpy's IEEE 754 binary16 cast, fixture produced by fixtures/f16_reference.py.
  it(`matches numpy on ${reference.cases.length} values (specials, ties, subnormals, random)`, () => {
    const mismatches = reference.cases.filter((c) => float32BitsToFloat16Bits(c.f32_bits) !== c.f16_bits);
    expect(mismatches).toEqual([]);
  });

  // Hand values from the IEEE 754 binary16 definition (sign | 5-bit exponent, bias 15 | 10-bit fraction).
  it.each([
    [1, 0x3c00], // 2^0 → exponent 15
    [65504, 0x7bff], // (2 − 2^-10) · 2^15, the largest finite half
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [-0, 0x8000],
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: tie, to even (0)
  ])('encodes %f as 0x%s', (x, bits) => {
    expect(float32BitsToFloat16Bits(bitsOf(x))).toBe(bits);
  });

  it('reports overflow (|x| ≥ 65520) and non-finite values as null', () => {
    for (const x of [65520, -65520, 1e6, Infinity, NaN])
      expect(float32BitsToFloat16Bits(bitsOf(x))).toBeNull();
    expect(float32BitsToFloat16Bits(bitsOf(65519))).toBe(0x7bff); // below the midpoint: rounds down to 65504
  });

  it('has relative error ≤ 2⁻¹¹ for normal values', () => {
    // Bound: half of one ulp of an 11-bit significand, ulp/x ≤ 2^-10 (IEEE 754 round to nearest).
    for (const c of reference.cases) {
      const x = f32FromBits(c.f32_bits);
      if (c.f16_bits === null || Math.abs(x) < 2 ** -14) continue;
      const y = float16BitsToNumber(c.f16_bits);
      expect(Math.abs(y - x) / Math.abs(x)).toBeLessThanOrEqual(2 ** -11);
    }
  });
});

describe('float16 → number', () => {
  it.each([
    [0x3c00, 1],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x8000, -0],
    [0xc000, -2],
    [0x7c00, Infinity],
  ])('decodes 0x%s as %f', (bits, x) => {
    expect(Object.is(float16BitsToNumber(bits), x)).toBe(true);
  });

  it('inverts the encoder on every finite half', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) !== 0x7c00 && float32BitsToFloat16Bits(bitsOf(float16BitsToNumber(h))) !== h)
        wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});
