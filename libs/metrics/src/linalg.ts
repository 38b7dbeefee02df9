/**
 * Small dense symmetric positive-definite linear algebra for logistic regression: a model has a
 * handful of coefficients, so a k×k Cholesky in plain float64 is both exact enough and fast.
 * Matrices are row-major `Float64Array`s of length k·k.
 */

/**
 * Cholesky factor L (lower triangular, A = L·Lᵀ) of a symmetric positive-definite matrix, by the
 * Cholesky–Banachiewicz recurrence (Golub & Van Loan, Matrix Computations, 4th ed., alg. 4.2.1).
 * Returns null when a pivot falls to `relTol` times the original diagonal entry or below: for a
 * cross-product matrix XᵀWX that pivot over the diagonal is 1 − R² of column j regressed on the
 * columns before it, so a null result means the design is (numerically) rank deficient.
 *
 * @example
 * cholesky(Float64Array.of(4, 2, 2, 3), 2); // Float64Array [2, 0, 1, 1.4142135623730951]
 */
export function cholesky(a: Float64Array, k: number, relTol = 1e-10): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j]!;
      for (let m = 0; m < j; m++) s -= l[i * k + m]! * l[j * k + m]!;
      if (i === j) {
        const diag = a[i * k + i]!;
        if (!(s > relTol * diag) || !(diag > 0)) return null;
        l[i * k + i] = Math.sqrt(s);
      } else {
        l[i * k + j] = s / l[j * k + j]!;
      }
    }
  }
  return l;
}

/**
 * Solves A·x = b given the Cholesky factor L of A: forward substitution L·z = b, then back
 * substitution Lᵀ·x = z.
 *
 * @example
 * const l = cholesky(Float64Array.of(4, 2, 2, 3), 2)!;
 * choleskySolve(l, 2, Float64Array.of(6, 5)); // Float64Array [1, 1]
 */
export function choleskySolve(l: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let m = 0; m < i; m++) s -= l[i * k + m]! * x[m]!;
    x[i] = s / l[i * k + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let m = i + 1; m < k; m++) s -= l[m * k + i]! * x[m]!;
    x[i] = s / l[i * k + i]!;
  }
  return x;
}

/**
 * A⁻¹ from the Cholesky factor of A, column by column (A⁻¹·eⱼ). Used for the covariance of the
 * coefficients, the inverse Fisher information.
 *
 * @example
 * const l = cholesky(Float64Array.of(4, 2, 2, 3), 2)!;
 * choleskyInverse(l, 2); // Float64Array [0.375, -0.25, -0.25, 0.5]
 */
export function choleskyInverse(l: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k);
  const e = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, k, e);
    for (let i = 0; i < k; i++) inv[i * k + j] = col[i]!;
  }
  return inv;
}
