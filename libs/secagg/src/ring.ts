/**
 * The rings the masked updates live in — Z/2⁶⁴ (the default) or Z/2³² (clipped studies) — and why
 * those widths.
 *
 * A site's input is its update on the aggregation grid (libs/aggregation grid.ts): per element the
 * integer r = nearest(n·x·2²⁶/M), the very term StreamingFedAvg folds. Masks are uniform in Z/2ᵏ
 * and cancel in the sum mod 2ᵏ, so the unmasked sum is S = Σᵢ rᵢ mod 2ᵏ, and equals the integer
 * Σᵢ rᵢ (hence StreamingFedAvg's accumulator, bit for bit) when that sum fits the signed range
 * [−2ᵏ⁻¹, 2ᵏ⁻¹).
 *
 * k = 64, on the default grid (per-tensor scale M from the global): grid.ts step 4 bounds the sum
 * for any round of accepted updates: each site keeps n·max|δ| ≤ R/shares (R = M·2²⁵, shares = the
 * number of sites), so Σᵢ|rᵢ| ≤ 2⁵¹ + K/2 < 2⁵² (K ≤ 2¹⁴ updates). So k ≥ 53 bits; 64, two 32-bit
 * words, is the next width a typed array adds without carries between elements. 8 bytes per element
 * uploaded where a plain float32 update takes 4.
 *
 * k = 32, on the clipped grid (one scale M = clippedGridScale(c, W) for every tensor, grid.ts):
 * every site clips ‖δ‖₂ ≤ c, so max|δ| ≤ c and Σᵢ nᵢ·max|δᵢ| ≤ c·W ≤ 2³⁰·q over the session's
 * approved weights (W = Σ nᵢ), and Σᵢ|rᵢ| ≤ 2³⁰ + K/2 < 2³¹. 4 bytes per element: the plain size.
 * The grid is coarser (q ≈ c·W·2⁻³⁰ instead of M·2⁻²⁶): the README gives the measured error.
 *
 * Layout: k = 64: element i is words [2i] (low) and [2i + 1] (high) of a Uint32Array — the
 * little-endian layout of a BigUint64Array, and of a stream cipher's bytes read as Uint32 on a
 * little-endian host; k = 32: element i is word i.
 *
 * @example
 * const v = new Uint32Array(2);
 * encodeSigned(v, 0, -3);      // v = [0xfffffffd, 0xffffffff]
 * decodeSigned(v, 0);          // -3
 * encodeSigned(v, 1, -3, 32);  // v[1] = 0xfffffffd
 * decodeSigned(v, 1, 32);      // -3
 */
export type RingBits = 32 | 64;
/** The default ring's width (studies without a clipped grid, and every study stored before k = 32). */
export const RING_BITS = 64;
/** Bytes of one element of the default ring. */
export const RING_BYTES = 8;

const TWO32 = 2 ** 32;

/** Uint32 words of one element of the ring Z/2^bits. */
export function ringWords(bits: RingBits): 1 | 2 {
  return bits === 32 ? 1 : 2;
}

/** Throws unless `bits` names a ring this library has (32 or 64), naming the value. */
export function checkRingBits(bits: unknown): RingBits {
  if (bits !== 32 && bits !== 64) throw new RangeError(`ring width ${String(bits)} is not 32 or 64 bits`);
  return bits;
}

/** Writes the integer r (|r| < 2⁵³; < 2³¹ for k = 32) as element i of `v`, two's complement mod 2ᵏ. */
export function encodeSigned(v: Uint32Array, i: number, r: number, bits: RingBits = 64): void {
  if (bits === 32) {
    v[i] = r; // ToUint32: r mod 2³²
    return;
  }
  const hi = Math.floor(r / TWO32);
  v[2 * i] = r - hi * TWO32;
  v[2 * i + 1] = hi; // ToUint32 wraps a negative high word mod 2³²
}

/** Element i of `v` as a signed integer in [−2ᵏ⁻¹, 2ᵏ⁻¹); exact for k = 32, and for k = 64 while it lies within ±2⁵³. */
export function decodeSigned(v: Uint32Array, i: number, bits: RingBits = 64): number {
  if (bits === 32) return (v[i] as number) | 0;
  return ((v[2 * i + 1] as number) | 0) * TWO32 + (v[2 * i] as number);
}
