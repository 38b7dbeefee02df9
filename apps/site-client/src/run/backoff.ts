export interface BackoffOptions {
  /** Delay before the first retry, ms; default 1000. */
  baseMs?: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Longest delay, ms; default 60 000 (a coordinator restart is back within a minute or two). */
  capMs?: number;
  /** Relative spread: the delay is scaled by 1 ± jitter·(2r − 1); default 0.2, as socket.io's randomizationFactor. */
  jitter?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): min(cap, base · factor^attempt), spread by
 * ±jitter so that sites cut off together do not all come back in the same millisecond
 * ("exponential backoff with jitter", AWS Architecture Blog 2015). `random` is in [0, 1).
 *
 * @example
 * backoffDelay(3, () => 0.5); // 8000: 1000 · 2³, no spread at r = 0.5
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  options: BackoffOptions = {},
): number {
  const { baseMs = 1000, factor = 2, capMs = 60_000, jitter = 0.2 } = options;
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt ${attempt} is not an integer ≥ 0`);
  // factor^attempt overflows to Infinity for large attempts; min() then gives the cap.
  const raw = Math.min(capMs, baseMs * Math.pow(factor, attempt));
  return Math.round(raw * (1 + jitter * (2 * random() - 1)));
}
