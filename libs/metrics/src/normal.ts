/**
 * The standard normal distribution through the complementary error function.
 *
 * erfc is W. J. Cody's rational Chebyshev approximation ("Rational Chebyshev approximations for the
 * error function", Math. Comp. 23 (1969) 631–638; the netlib SPECFUN routine CALERF, 1990), on three
 * intervals of |x|:
 *   |x| ≤ 0.46875:     erfc(x) = 1 − x·A(x²)/B(x²)
 *   0.46875 < |x| ≤ 4: erfc(|x|) = exp(−x²)·C(|x|)/D(|x|)
 *   |x| > 4:           erfc(|x|) = exp(−x²)/|x| · (1/√π − z·P(z)/Q(z)),  z = 1/x²
 * and erfc(−x) = 2 − erfc(x). The Gaussian factor exp(−y²) is evaluated as exp(−t²)·exp(−(y−t)(y+t))
 * with t = y truncated to a multiple of 1/16 (Cody's splitting), so that the rounding of the square
 * does not spoil the relative accuracy in the tail. Φ(x) and the p-value take exp(−x²/2) from the
 * normal deviate x itself (split the same way), so the rounded x/√2 is never squared. Relative error is a few units in the last place (≲ 1e-15)
 * wherever the result is a normal double; normal.spec.ts checks it against the C library's erfc and
 * R's pnorm.
 */

// Cody (1969) coefficients from SPECFUN CALERF, as the nearest doubles (the published values have
// 18 digits, more than a double holds).
const A = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
const B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];

const INV_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;
/** erfc(x) < 2^-1074 (the smallest subnormal) beyond this. */
const ERFC_UNDERFLOW = 27.3;

/** exp(−x²/2) with x² split as t² + (x − t)(x + t), t = x truncated to 1/16ths (exact), as in Cody. */
function expMinusHalfSquare(x: number): number {
  const t = Math.trunc(x * 16) / 16;
  return Math.exp(-0.5 * t * t) * Math.exp(-0.5 * (x - t) * (x + t));
}

/** The scaled tail erfcx(y) = exp(y²)·erfc(y) for y > 0.46875 (Cody's second and third intervals). */
function erfcxTail(y: number): number {
  if (y <= 4) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    return (num + C[7]!) / (den + D[7]!);
  }
  const z = 1 / (y * y);
  let num = P[5]! * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * z;
    den = (den + Q[i]!) * z;
  }
  return (INV_SQRT_PI - (z * (num + P[4]!)) / (den + Q[4]!)) / y;
}

/** erfc(y) for y > 0.46875, with exp(−y²) split as exp(−t²)·exp(−(y − t)(y + t)). */
function erfcTail(y: number): number {
  if (y >= ERFC_UNDERFLOW) return 0;
  const t = Math.trunc(y * 16) / 16;
  return erfcxTail(y) * Math.exp(-t * t) * Math.exp(-(y - t) * (y + t));
}

/** erfc(|x|/√2) = 2Φ(−|x|), taking exp(−x²/2) from x itself so that the rounding of x/√2 only enters
 * the slowly varying erfcx factor. */
function erfcOfAbsOverSqrt2(x: number): number {
  const y = Math.abs(x) * SQRT1_2;
  if (y <= 0.46875) return erfc(y);
  if (y >= ERFC_UNDERFLOW) return 0;
  return erfcxTail(y) * expMinusHalfSquare(Math.abs(x));
}

/**
 * Complementary error function erfc(x) = (2/√π)∫ₓ^∞ e^(−t²) dt.
 *
 * @example erfc(1) // 0.15729920705028513
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const z = y * y;
    let num = A[4]! * z;
    let den = z;
    for (let i = 0; i < 3; i++) {
      num = (num + A[i]!) * z;
      den = (den + B[i]!) * z;
    }
    return 1 - (x * (num + A[3]!)) / (den + B[3]!);
  }
  const tail = erfcTail(y);
  return x < 0 ? 2 - tail : tail;
}

/**
 * Standard normal CDF Φ(x) = ½·erfc(−x/√2); accurate in relative terms in the lower tail too.
 *
 * @example normalCdf(-1.959963984540054) // 0.025
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const tail = 0.5 * erfcOfAbsOverSqrt2(x); // Φ(−|x|)
  return x <= 0 ? tail : 1 - tail;
}

/**
 * Two-sided p-value of a standard-normal statistic: 2·Φ(−|z|) = erfc(|z|/√2). What R reports as
 * `2 * pnorm(-abs(z))` (pROC's `roc.test`). `z = ±Infinity` gives 0; NaN gives NaN.
 *
 * @example twoSidedP(1.959963984540054) // 0.05
 */
export function twoSidedP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return erfcOfAbsOverSqrt2(z);
}
