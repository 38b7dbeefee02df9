/**
 * IEEE 754 binary16 ("half") conversion for the `f16` wire encoding.
 *
 * float32 → float16 rounds to nearest, ties to even (IEEE 754-2008 §4.3.1, the default rounding
 * attribute, and what numpy's `np.float16(x)` does). For a normal result the relative error is at
 * most 2⁻¹¹ (half an ulp of an 11-bit significand). Values whose rounded result would be ±∞, i.e.
 * |x| ≥ 65520 (the midpoint between the largest half 65504 and 2¹⁶), are not representable: the
 * caller gets `null` and turns it into an error naming the tensor. Results below the normal range
 * become half subnormals (multiples of 2⁻²⁴) or ±0, correctly rounded.
 */

const HALF_OVERFLOW = 0x7c00;

/**
 * Bits of the float16 nearest to the float32 whose bits are `bits` (ties to even), or `null` when it
 * rounds to ±∞ or is not finite.
 *
 * @example
 * float32BitsToFloat16Bits(0x3f800000); // 0x3c00 (1.0)
 */
export function float32BitsToFloat16Bits(bits: number): number | null {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return null;
  // Unbiased exponent re-biased for half: e = exp − 127 + 15.
  const e = exp - 112;
  if (e <= 0) {
    // Half subnormal (or zero): value = m · 2⁻²⁴ with m = significand · 2^(e−14), i.e. shift right by 14 − e.
    if (e < -10) return sign; // |x| < 2⁻²⁵, below half the smallest subnormal: rounds to ±0.
    const full = mant | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++; // may carry into the smallest normal
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++; // a carry may bump the exponent: still right
  if (half >= HALF_OVERFLOW) return null;
  return sign | half;
}

/**
 * The float32 value of half bits `h` (exact: every half is a float32).
 * Formula (IEEE 754 binary16): (−1)^s · 2^(e−15) · (1 + m/1024) for 0 < e < 31, (−1)^s · 2⁻¹⁴ · m/1024
 * for e = 0; e = 31 is ±∞/NaN.
 *
 * @example
 * float16BitsToNumber(0x7bff); // 65504
 */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  return sign * (1024 + m) * 2 ** (e - 25);
}

let decodeTable: Float32Array | undefined;

/** All 65536 half values as float32, built once: decoding is then one table lookup per element. */
export function float16Table(): Float32Array {
  if (decodeTable === undefined) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = float16BitsToNumber(h);
  }
  return decodeTable;
}

/** True when half bits `h` encode ±∞ or NaN (exponent all ones). */
export function isFloat16NonFinite(h: number): boolean {
  return (h & 0x7c00) === 0x7c00;
}
