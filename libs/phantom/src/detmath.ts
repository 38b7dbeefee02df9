/**
 * Deterministic elementary functions. ECMAScript leaves `Math.exp`, `Math.log`, `Math.sin`, … as
 * "implementation-approximated", so their last bits may differ between engines or engine versions;
 * phantoms must be bit-for-bit identical for a seed everywhere. These versions use only IEEE double
 * `+ − × ÷`, `Math.sqrt` (correctly rounded by IEEE 754), `Math.round`/`Math.floor` and exact
 * bit manipulation, so every conforming engine returns the same bits. Accuracy is ~1e-15 relative,
 * far more than an image needs.
 *
 * Formulas: Cody–Waite range reduction with a Taylor polynomial (exp, sin, cos), the atanh series
 * log m = 2·Σ s^(2k+1)/(2k+1) with s = (m−1)/(m+1) (log), and argument halving
 * atan x = 2·atan(x / (1 + √(1+x²))) with the Gregory series (atan); see J.-M. Muller,
 * "Elementary Functions: Algorithms and Implementation", 3rd ed., ch. 11.
 */

// Module-level aliases: looking up `Math` on the global object is slow inside vm sandboxes such as jest's.
const { abs, round, sqrt } = Math;

const LN2_HI = 6.9314718036912381649e-1; // fdlibm's split of ln 2: the high part has trailing zeros
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.442695040888963387;
// 2π in three parts (Cody–Waite): the first has 27 fraction bits, so k·TWO_PI_A is exact for |k| < 2^25.
const TWO_PI_A = 6.283185303211212;
const TWO_PI_B = 3.968374073792802e-9;
const TWO_PI_HI = TWO_PI_A + TWO_PI_B; // = the double nearest 2π
const TWO_PI_LO = 2.4492935982947064e-16;
export const PI = 3.141592653589793;
const LN10 = 2.302585092994046;
const INFINITY = 1 / 0;
const SQRT2 = 1.4142135623730951;
const NOT_A_NUMBER = 0 / 0;

// A double and its two 32-bit words. The word order follows the machine's byte order, detected once,
// so the bits read and written are the same everywhere (typed arrays beat DataView in hot loops).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
f64[0] = 1;
const HI = u32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

/** 2^k for integer k in [−1022, 1023], built from its bits (exact). */
function pow2(k: number): number {
  u32[HI] = (k + 1023) << 20;
  u32[LO] = 0;
  return f64[0]!;
}

/**
 * e^x.
 * @example detExp(1) // 2.718281828459045
 */
export function detExp(x: number): number {
  if (x !== x) return x; // NaN
  if (x > 709) return INFINITY;
  if (x < -745) return 0;
  const k = round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO; // |r| ≤ ln2/2
  // Taylor to r^13: truncation < 0.35^14/14! ≈ 5e-18.
  let p = 1 / 6227020800;
  for (let n = 12; n >= 1; n--) p = p * r + INV_FACTORIAL[n]!;
  p = p * r + 1;
  // Split the scale so a subnormal result does not need 2^k below 2^−1022.
  if (k < -1021) return p * pow2(k + 60) * pow2(-60);
  return p * pow2(k);
}
const INV_FACTORIAL = Array.from({ length: 14 }, (_, n) => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return 1 / f;
});

/**
 * Natural logarithm.
 * @example detLog(Math.E) // 1 (to ~1e-16)
 */
export function detLog(x: number): number {
  if (x !== x || x < 0) return NOT_A_NUMBER;
  if (x === 0) return -INFINITY;
  if (x === INFINITY) return INFINITY;
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: make subnormals normal
    e = -54;
  }
  f64[0] = x;
  const hi = u32[HI]!;
  e += ((hi >>> 20) & 0x7ff) - 1023;
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000;
  let m = f64[0]!; // m in [1, 2)
  if (m > SQRT2) {
    m /= 2;
    e += 1;
  }
  const s = (m - 1) / (m + 1); // |s| ≤ 0.1716
  const s2 = s * s;
  let p = 0;
  for (let k = 23; k >= 1; k -= 2) p = p * s2 + 1 / k; // s^25 term < 1e-19
  return e * LN2_HI + (e * LN2_LO + 2 * s * p);
}

/** log10 x = ln x / ln 10. @example detLog10(1000) // 3 (to ~1e-15) */
export function detLog10(x: number): number {
  return detLog(x) / LN10;
}

function sinPoly(r: number): number {
  const r2 = r * r;
  // sin r = r − r³/3! + … + r^15/15!, |r| ≤ π/4: error < 0.79^17/17! ≈ 2e-17
  let p = 0;
  for (let n = 15; n >= 3; n -= 2) p = (p + (((n - 1) / 2) % 2 === 1 ? -1 : 1) * INV_ODD[n]!) * r2;
  return r + r * p;
}
function cosPoly(r: number): number {
  const r2 = r * r;
  let p = 0;
  for (let n = 16; n >= 2; n -= 2) p = (p + ((n / 2) % 2 === 1 ? -1 : 1) * INV_ODD[n]!) * r2;
  return 1 + p;
}
const INV_ODD = Array.from({ length: 17 }, (_, n) => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return 1 / f;
});

/**
 * Reduces x to r in [−π/4, π/4] and a quadrant q with x ≈ r + q·π/2 (mod 2π); results in
 * `reduced` (module scratch, so the hot per-pixel path allocates nothing).
 */
const reduced = { r: 0, q: 0 };
function reduce(x: number): void {
  const k = round(x / TWO_PI_HI);
  const r = x - k * TWO_PI_A - k * TWO_PI_B - k * TWO_PI_LO; // r in [−π, π]
  const q = round(r / (PI / 2));
  reduced.r = r - q * (TWO_PI_HI / 4) - q * (TWO_PI_LO / 4);
  reduced.q = ((q % 4) + 4) % 4;
}

/** sin x, for |x| up to ~1e6 (phantom angles and phases). @example detSin(PI / 2) // 1 */
export function detSin(x: number): number {
  reduce(x);
  const { r, q } = reduced;
  return q === 0 ? sinPoly(r) : q === 1 ? cosPoly(r) : q === 2 ? -sinPoly(r) : -cosPoly(r);
}

/** cos x, for |x| up to ~1e6. @example detCos(0) // 1 */
export function detCos(x: number): number {
  reduce(x);
  const { r, q } = reduced;
  return q === 0 ? cosPoly(r) : q === 1 ? -sinPoly(r) : q === 2 ? -cosPoly(r) : sinPoly(r);
}

function atanSmall(x: number): number {
  // Two halvings bring |x| ≤ 1 down to ≤ tan(π/16) ≈ 0.199; Gregory series to x^31: error < 1e-23.
  let t = x / (1 + sqrt(1 + x * x));
  t = t / (1 + sqrt(1 + t * t));
  const t2 = t * t;
  let p = 0;
  for (let k = 31; k >= 3; k -= 2) p = (p + (((k - 1) / 2) % 2 === 1 ? -1 : 1) / k) * t2;
  return 4 * (t + t * p);
}

/** atan2(y, x) in (−π, π]. @example detAtan2(1, 1) // π/4 */
export function detAtan2(y: number, x: number): number {
  if (x === 0 && y === 0) return 0;
  const ax = abs(x);
  const ay = abs(y);
  let a = ay <= ax ? atanSmall(ay / ax) : PI / 2 - atanSmall(ax / ay);
  if (x < 0) a = PI - a;
  return y < 0 ? -a : a;
}
