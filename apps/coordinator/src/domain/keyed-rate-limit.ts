/** A take from {@link KeyedRateLimit}: allowed, or refused with the wait until the next one is. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryInMs: number };

/**
 * A token bucket per key (a site id): up to `limit` events at once, refilled at `limit` per
 * `windowMs`, so over any stretch of time t a key gets at most `limit · (1 + t / windowMs)` events.
 * A bucket rather than fixed windows, so a client that keeps to the rate but sends one extra final
 * event (the site client's last train:progress) is not cut off at a window's edge. The clock is
 * injected (tests); keys are authenticated site ids, so the map is bounded by the enrolled sites.
 * Source: the token bucket of RFC 2697 §1 (committed burst size = limit, rate = limit / window).
 *
 * @example
 * const hellos = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => t);
 * hellos.take('a'); hellos.take('a'); // { ok: true } twice at t = 0
 * hellos.take('a'); // { ok: false, retryInMs: 500 }: one event's worth refills in 1000 / 2 ms
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: { readonly limit: number; readonly windowMs: number },
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(rate.limit) && rate.limit >= 1 && rate.windowMs > 0))
      throw new Error(`rate limit ${rate.limit} per ${rate.windowMs} ms: expected an integer ≥ 1 per > 0 ms`);
  }

  /** Takes one event's token for `key` if it has one. */
  take(key: string): RateDecision {
    const { limit, windowMs } = this.rate;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit, at: t };
    const tokens = Math.min(limit, b.tokens + ((t - b.at) * limit) / windowMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: t });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: t });
    return { ok: false, retryInMs: Math.ceil(((1 - tokens) * windowMs) / limit) };
  }
}
