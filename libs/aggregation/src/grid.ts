/**
 * The per-tensor grid of the accumulator, and why summing on it is exact.
 *
 * Order-independent accumulation of n·δ (n a sample count, δ a float32) in ONE float64 per element:
 * each term is rounded to a per-tensor grid q, after which every addition is exact, so the
 * accumulator is a function of the set of terms, never of their order — StreamingFedAvg's result is
 * bit-identical for any arrival order. 8 bytes per parameter (the earlier two-limb form took 16).
 *
 * Grid. Each tensor has a scale M = 2^e, the smallest power of two ≥ max(1, max |g|) over the global
 * tensor g the deltas apply to (1 when none is given), and the grid q = M·2⁻²⁶. A round's terms
 * must satisfy Σᵢ nᵢ·max|δᵢ| ≤ R = M·2²⁵ for that tensor (2²⁵ ≈ 33.5 M sample-units of the
 * tensor's largest weight; an update that would pass it is rejected as out of range).
 *
 * Proof (IEEE 754 binary64, round to nearest even; "exact" = no rounding happens):
 *  1. w = n·2²⁶/M is exact (n ≤ 2²⁴ integer, M a power of two); x·w for a float32 x is exact (24 + 24
 *     significant bits ≤ 53), and equals n·x/q.
 *  2. Per element the kernel requires |x| ≤ cap = R/n (rounded down to float32), so |x·w| ≤ 2⁵¹.
 *  3. r = nearest(x·w), the nearest integer with ties to even (wasm f64x2.nearest, IEEE
 *     roundToIntegralTiesToEven: one instruction, no rounding error beyond the intended one). r
 *     depends on the term alone; |r| ≤ 2⁵¹, and r = −r' for the term's negation (ties to even is
 *     symmetric).
 *  4. Integers of magnitude ≤ 2⁵³ are doubles, so adding integers whose running sum stays there is
 *     exact. The per-tensor bound Σ nᵢ·max|δᵢ| ≤ R over accepted updates gives Σ|r| ≤ 2⁵¹ + K/2
 *     (K ≤ 2¹⁴ terms). At most two updates are ever folded before their range is checked (a pair,
 *     `fold2`; either may then be undone), each term of magnitude ≤ 2⁵¹ by step 2, so every partial
 *     sum stays within 3·2⁵¹ + K/2 < 2⁵³. A pair's two terms are added to each other first: an
 *     integer ≤ 2⁵², exact, so the element ends as the two single folds leave it.
 *  5. No element is ever −0: elements start at +0, and under round to nearest x + y is −0 only when
 *     x and y are both −0 (r may be −0, but the element it is added to never is).
 * Hence each element holds Σ r exactly, and the mean read from it, (Σ r)·q / W (+ base) rounded to
 * float32, is order-independent.
 *
 * Error. |r·q − n·x| ≤ q/2 per term, so the mean differs from the exact Σ nᵢδᵢ / W by at most
 * K·q / (2W) ≤ q/2 = M·2⁻²⁷ (K ≤ W since every n ≥ 1) — 7.5e-9 for M = 1 in the worst case of one
 * sample per site, 5e-11 with 150 samples per site. The exact sum of the earlier two-limb form
 * would need 16 bytes per parameter.
 *
 * @example
 * const m = gridScale(0.3); // 1
 * gridStep(m); // q = 2⁻²⁶
 * termWeight(150, m); // w = 150·2²⁶: the kernel adds nearest(x·w) for each value x of an update of 150 samples
 * gridCap(m, 150); // the largest float32 ≤ 2²⁵/150: a larger |x| is not folded
 */

/** Most updates per round: the slack of step 4. */
export const K_MAX = 2 ** 14;
/** Largest sample count of one update (step 1). */
export const N_MAX = 2 ** 24;
/** log₂ of a tensor's range R in units of its scale M. */
export const RANGE_LOG2 = 25;
/** log₂ of a tensor's grid q in units of its scale M. */
export const GRID_LOG2 = -26;

/** The scale M of a tensor whose largest |value| is `maxAbs`: the least power of two ≥ max(1, maxAbs). */
export function gridScale(maxAbs: number): number {
  if (!(maxAbs > 1)) return 1;
  let e = Math.ceil(Math.log2(maxAbs));
  if (2 ** e < maxAbs) e++;
  return 2 ** e;
}

/** log₂ of the most grid steps a clipped round's Σ n·max|δ| may span ({@link clippedGridScale}). */
export const CLIPPED_SPAN_LOG2 = 30;

/**
 * The one scale M of every tensor in a round whose updates are clipped: each update of n samples
 * has max|δ| ≤ ‖δ‖₂ ≤ c (`clipNorm`), so Σᵢ nᵢ·max|δᵢ| ≤ c·W over updates whose sample counts sum to
 * at most W (`weightBound`). M is the least power of two with c·W ≤ 2³⁰·q, q = M·2⁻²⁶ — a grid
 * coarse enough that every element's Σ r stays within 2³⁰ + K/2 < 2³¹ (step 4 with the range c·W),
 * i.e. fits a signed 32-bit integer (secure aggregation's 32-bit ring, libs/secagg ring.ts). M may
 * be below 1 (a finer grid than a global's) when c·W < 2⁴; steps 1–3 hold for any power of two.
 * The price is precision: the mean's rounding bound (error, above) is K·q/(2W) ≈ K·c·2⁻³¹, against
 * K·2⁻²⁷/W on the default grid (M = 1).
 *
 * @example
 * clippedGridScale(10, 1500); // 1024: q = 2⁻¹⁶, c·W = 15000 ≤ 2³⁰·2⁻¹⁶ = 16384
 */
export function clippedGridScale(clipNorm: number, weightBound: number): number {
  const span = clipNorm * weightBound;
  if (!(clipNorm > 0 && Number.isFinite(span) && Number.isInteger(weightBound) && weightBound >= 1)) {
    throw new RangeError(
      `a clipped grid needs clip_norm > 0 and an integer total weight ≥ 1 (got clip_norm ${clipNorm}, weight ${weightBound})`,
    );
  }
  // M = 2^e, the least with span ≤ 2^(CLIPPED_SPAN_LOG2 + GRID_LOG2)·M = 2⁴·M.
  let e = Math.ceil(Math.log2(span)) - CLIPPED_SPAN_LOG2 - GRID_LOG2;
  if (2 ** (e + CLIPPED_SPAN_LOG2 + GRID_LOG2) < span) e++;
  while (e > -1074 && 2 ** (e - 1 + CLIPPED_SPAN_LOG2 + GRID_LOG2) >= span) e--;
  return 2 ** e;
}

/** The grid q = M·2⁻²⁶ of a tensor of scale M: the unit its accumulator counts in. */
export function gridStep(scale: number): number {
  return scale * 2 ** GRID_LOG2;
}

/** The range R = M·2²⁵ of a tensor of scale M: the most Σ n·max|δ| of a round (step 4). */
export function gridRange(scale: number): number {
  return scale * 2 ** RANGE_LOG2;
}

/** The per-element limit on |δ| for an update of n samples in a tensor of scale M: R/n rounded down to float32 (step 2). */
export function gridCap(scale: number, n: number): number {
  return float32AtMost(gridRange(scale) / n);
}

/** w = sign·n·2²⁶/M, exact (step 1): the kernel folds nearest(x·w) for each value x. */
export function termWeight(n: number, scale: number, sign: 1 | -1 = 1): number {
  return (sign * n * 2 ** -GRID_LOG2) / scale;
}

/** The largest float32 ≤ v (v > 0 finite). */
function float32AtMost(v: number): number {
  const f = Math.fround(v);
  if (f <= v) return f;
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  bits[0] = (bits[0] as number) - 1;
  return new Float32Array(bits.buffer)[0] as number;
}
