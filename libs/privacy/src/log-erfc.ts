import { erfc } from '@fedaln/metrics';

/** Below this, erfc(x) (≥ 1e-273) is a normal double and Cody's erfc is accurate to ~1e-15 relative. */
const DIRECT_LIMIT = 25;

/**
 * log erfc(x) for any real x, finite where erfc underflows. For x ≤ 25 it is log of W. J. Cody's
 * erfc (libs/metrics `erfc`); beyond, the asymptotic series (Abramowitz & Stegun 7.1.23)
 *   erfc(x) = e^(−x²)/(x√π) · (1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸) − …),
 * whose first omitted term is < 1e-12 at x = 25. The RDP series of the sampled Gaussian needs
 * erfc at arguments far in the tail (TF Privacy's `_log_erfc` does the same with log_ndtr).
 *
 * @example logErfc(0) // 0 (erfc(0) = 1)
 */
export function logErfc(x: number): number {
  if (x <= DIRECT_LIMIT) return Math.log(erfc(x));
  const u = 1 / (2 * x * x);
  const series = 1 - u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u)));
  return -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log(series);
}
