/**
 * Exact, order-independent accumulation of n·δ (n a sample count, δ a float32) in two float64
 * "limbs" per element: a fixed-point number hi + lo with hi on the grid Q_HI = 2⁻¹³ and lo on the
 * grid Q_LO = 2⁻⁵². Because every addition below is exact, the accumulator holds the exact sum of
 * its terms, whatever order they came in: StreamingFedAvg's result is bit-identical for any arrival
 * order.
 *
 * Proof (IEEE 754 binary64, round to nearest even; "exact" = no rounding happens):
 *  1. t = n·δ is exact: n ≤ 2²⁴ has ≤ 24 significant bits, δ has 24, so t fits a 53-bit significand.
 *  2. We require |t| ≤ T_MAX = 2²⁵ (else the update is rejected before anything is folded).
 *  3. hi = (t + C_HI) − C_HI with C_HI = 1.5·2³⁹: t + C_HI lies in [2³⁹, 2⁴⁰), where the spacing of
 *     doubles is 2³⁹⁻⁵² = 2⁻¹³ = Q_HI, so the sum is t rounded to the nearest multiple of Q_HI, and
 *     the subtraction is exact (Sterbenz lemma: both operands within a factor 2). |hi| ≤ 2²⁵ + 2⁻¹⁴.
 *  4. r = t − hi is exact: if ulp(t) ≥ Q_HI then hi = t and r = 0; if |t| < Q_HI/2 then hi = 0 and
 *     r = t; otherwise hi is a multiple of ulp(t), so r is a multiple of ulp(t) with
 *     |r| ≤ Q_HI/2 ≤ |t|, which fits the significand. In all cases |r| ≤ Q_HI/2.
 *  5. lo = (r + C_LO) − C_LO with C_LO = 1.5: r + 1.5 lies in [1, 2), spacing 2⁻⁵² = Q_LO, so lo is r
 *     rounded to the grid Q_LO (exactly r when δ's last bit is ≥ 2⁻⁵², e.g. whenever |δ| ≥ 2⁻²⁹ or
 *     δ = 0), and |lo| ≤ 2⁻¹⁴. This rounding depends on the term alone, never on the order.
 *  6. Sums stay exact: multiples of a grid step q with magnitude ≤ 2⁵³·q are doubles, so adding two
 *     of them whose sum is in that range is exact. With at most K_MAX = 2¹⁴ terms per element,
 *     Σ|hi| ≤ 2¹⁴·(2²⁵ + 2⁻¹⁴) < 2⁴⁰ = 2⁵³·Q_HI and Σ|lo| ≤ 2¹⁴·2⁻¹⁴ = 1 = 2⁵²·Q_LO. Subtracting a
 *     term that was added (undo) is exact for the same reason.
 *  7. No limb is ever −0: (x + C) − C and sums of such values give +0 for a zero result under
 *     round-to-nearest, so equal real values are equal bit patterns.
 * Hence after any set of folds each limb equals the exact (real) sum of its terms, a value that
 * does not depend on order, and anything computed from the limbs is bit-identical too.
 */

export const T_MAX = 2 ** 25;
export const K_MAX = 2 ** 14;
export const N_MAX = 2 ** 24;

/**
 * Folds `sign · n · values[i]` into `acc` (interleaved [hi₀, lo₀, hi₁, lo₁, …]) for i in
 * [from, to). Stops before the first i whose term is not finite or exceeds {@link T_MAX} and returns
 * it; returns `to` when all were folded. `sign` −1 undoes an earlier fold exactly.
 *
 * @example
 * const acc = new Float64Array(2);
 * foldTwoLimb(acc, new Float32Array([0.1]), 3, 1, 0, 1); // 1; acc[0] + acc[1] === 3 · Math.fround(0.1)
 */
export function foldTwoLimb(
  acc: Float64Array,
  values: Float32Array,
  n: number,
  sign: 1 | -1,
  from: number,
  to: number,
): number {
  // Locals, not module constants: compiled to CommonJS an exported const is a property load per element.
  const w = sign * n;
  const limit = 2 ** 25; // T_MAX
  const cHi = 1.5 * 2 ** 39;
  const cLo = 1.5;
  for (let i = from; i < to; i++) {
    const t = w * (values[i] as number);
    if (!(t <= limit && t >= -limit)) return i; // also catches NaN
    const hi = t + cHi - cHi;
    const lo = t - hi + cLo - cLo;
    acc[2 * i] = (acc[2 * i] as number) + hi;
    acc[2 * i + 1] = (acc[2 * i + 1] as number) + lo;
  }
  return to;
}

/**
 * Writes the float32 of (hi + lo)/W (+ base) for each element: one rounding for hi + lo, one for the
 * division, one to float32; a deterministic function of the limbs, so order-independent.
 */
export function readTwoLimb(
  acc: Float64Array,
  totalWeight: number,
  out: Float32Array,
  base?: Float32Array,
): void {
  for (let i = 0; i < out.length; i++) {
    const mean = ((acc[2 * i] as number) + (acc[2 * i + 1] as number)) / totalWeight;
    out[i] = base === undefined ? mean : (base[i] as number) + mean;
  }
}
