/**
 * log(e^x + e^y) and log(e^x − e^y) without leaving log space, so that sums of terms like
 * e^700 or e^-800 neither overflow nor underflow. As `_log_add` / `_log_sub` in TF Privacy's
 * rdp_accountant: log(e^x + e^y) = max + log1p(e^(min − max)).
 *
 * @example logAdd(Math.log(2), Math.log(3)) // Math.log(5)
 */
export function logAdd(x: number, y: number): number {
  const hi = Math.max(x, y);
  const lo = Math.min(x, y);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/**
 * log(e^x − e^y) for x ≥ y: x + log(−expm1(y − x)); −∞ when x = y.
 *
 * @example logSub(Math.log(5), Math.log(3)) // Math.log(2)
 */
export function logSub(x: number, y: number): number {
  if (x < y) throw new RangeError(`logSub: e^${x} − e^${y} is negative; its log is undefined`);
  if (y === -Infinity) return x;
  if (x === y) return -Infinity;
  return x + Math.log(-Math.expm1(y - x));
}
