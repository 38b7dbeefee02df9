/**
 * The Rényi orders α at which the accountant evaluates RDP and converts to (ε, δ): TF Privacy's list in
 * `compute_dp_sgd_privacy_lib.py` (`compute_dp_sgd_privacy`),
 *   [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5] + 5…63 + [128, 256, 512].
 * Fractional orders matter for large ε (small σ, many steps), the large ones for small ε.
 *
 * @example DEFAULT_RDP_ORDERS.length // 72
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...Array.from({ length: 59 }, (_, i) => i + 5),
  128,
  256,
  512,
]);
