/**
 * The ring Z/2⁶⁴ the masked updates live in, and why 64 bits.
 *
 * A site's input is its update on the aggregation grid (libs/aggregation grid.ts): per element the
 * integer r = nearest(n·x·2²⁶/M), the very term StreamingFedAvg folds. Masks are uniform in Z/2ᵏ
 * and cancel in the sum mod 2ᵏ, so the unmasked sum is S = Σᵢ rᵢ mod 2ᵏ, and equals the integer
 * Σᵢ rᵢ (hence StreamingFedAvg's accumulator, bit for bit) when that sum fits the signed range
 * [−2ᵏ⁻¹, 2ᵏ⁻¹). grid.ts step 4 bounds it for any round of accepted updates: each site keeps
 * n·max|δ| ≤ R/shares (R = M·2²⁵, shares = the number of sites), so Σᵢ|rᵢ| ≤ 2⁵¹ + K/2 < 2⁵²
 * (K ≤ 2¹⁴ updates). So k ≥ 53 bits; 64, two 32-bit words, is the next width a typed array
 * adds without carries between elements — k = 64.
 *
 * The cost: 8 bytes per element uploaded where a plain float32 update takes 4. A bounded ring of
 * k = 32 would match the plain size, but only if sites clip to Σ n·max|δ| < 2⁵·M for the whole
 * round, far tighter than the grid's range (see the README).
 *
 * Layout: element i is words [2i] (low) and [2i + 1] (high) of a Uint32Array — the little-endian
 * layout of a BigUint64Array, and of a stream cipher's bytes read as Uint32 on a little-endian host.
 *
 * @example
 * const v = new Uint32Array(2);
 * encodeSigned(v, 0, -3);      // v = [0xfffffffd, 0xffffffff]
 * decodeSigned(v, 0);          // -3
 */
export const RING_BITS = 64;
/** Bytes of one ring element. */
export const RING_BYTES = 8;

const TWO32 = 2 ** 32;

/** Writes the integer r (|r| < 2⁵³) as element i of `v`, two's complement mod 2⁶⁴. */
export function encodeSigned(v: Uint32Array, i: number, r: number): void {
  const hi = Math.floor(r / TWO32);
  v[2 * i] = r - hi * TWO32;
  v[2 * i + 1] = hi; // ToUint32 wraps a negative high word mod 2³²
}

/** Element i of `v` as a signed integer; exact while it lies within ±2⁵³. */
export function decodeSigned(v: Uint32Array, i: number): number {
  return ((v[2 * i + 1] as number) | 0) * TWO32 + (v[2 * i] as number);
}
