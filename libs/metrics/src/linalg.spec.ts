import { describe, expect, it } from '@jest/globals';
import { cholesky, choleskyInverse, choleskySolve } from './linalg';

describe('Cholesky', () => {
  // Hand derivation: A = [[4, 2], [2, 3]] = L·Lᵀ with L = [[2, 0], [1, √2]]; det A = 8, so
  // A⁻¹ = [[3, −2], [−2, 4]] / 8; A·[1, 1] = [6, 5].
  const a = Float64Array.of(4, 2, 2, 3);

  it('factors, solves and inverts a 2×2 by hand', () => {
    const l = cholesky(a, 2)!;
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2]);
    const x = choleskySolve(l, 2, [6, 5]);
    expect(x[0]).toBeCloseTo(1, 15);
    expect(x[1]).toBeCloseTo(1, 15);
    const inv = Array.from(choleskyInverse(l, 2));
    [0.375, -0.25, -0.25, 0.5].forEach((v, i) => expect(inv[i]).toBeCloseTo(v, 15));
  });

  it('Hilbert 4×4 inverse matches its closed form (integer entries, Choi 1983)', () => {
    const k = 4;
    const h = new Float64Array(k * k).map((_, i) => 1 / (Math.floor(i / k) + (i % k) + 1));
    const inv = choleskyInverse(cholesky(h, k)!, k);
    const exact = [
      16, -120, 240, -140, -120, 1200, -2700, 1680, 240, -2700, 6480, -4200, -140, 1680, -4200, 2800,
    ];
    exact.forEach((v, i) => expect(Math.abs(inv[i]! - v)).toBeLessThan(1e-9 * Math.abs(v)));
  });

  it('returns null for a singular or indefinite matrix', () => {
    expect(cholesky(Float64Array.of(1, 2, 2, 4), 2)).toBeNull();
    expect(cholesky(Float64Array.of(1, 2, 2, 1), 2)).toBeNull();
    expect(cholesky(Float64Array.of(0, 0, 0, 1), 2)).toBeNull();
  });
});
