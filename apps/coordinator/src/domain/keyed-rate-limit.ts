/** A take from {@link KeyedRateLimit}: allowed, or refused with the wait until the next one is. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryInMs: number };

/**
 * A token bucket per key (a site id): up to `limit` events at once, refilled at `limit` per
 * `windowMs`, so over any stretch of time t a key gets at most `limit · (1 + t / windowMs)` events.
 * A bucket rather than fixed windows, so a client that keeps to the rate but sends one extra final
 * event (the site client's last train:progress) is not cut off at a window's edge. The clock is
 * injected (tests). Keys that are not bounded by themselves (remote addresses, unlike enrolled site
 * ids) need `maxKeys`: past it the least recently used key is forgotten (it starts again with a full
 * bucket, as a new key would). Source: the token bucket of RFC 2697 §1 (committed burst size = limit, rate = limit / window).
 *
 * @example
 * const hellos = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => t);
 * hellos.take('a'); hellos.take('a'); // { ok: true } twice at t = 0
 * hellos.take('a'); // { ok: false, retryInMs: 500 }: one event's worth refills in 1000 / 2 ms
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: { readonly limit: number; readonly windowMs: number; readonly maxKeys?: number },
    private readonly now: () => number = Date.now,
  ) {
    if (!(Number.isInteger(rate.limit) && rate.limit >= 1 && rate.windowMs > 0))
      throw new Error(`rate limit ${rate.limit} per ${rate.windowMs} ms: expected an integer ≥ 1 per > 0 ms`);
  }

  /** Takes one event's token for `key` if it has one. */
  take(key: string): RateDecision {
    const { limit, windowMs } = this.rate;
    const t = this.now();
    const tokens = this.tokensAt(key, t);
    if (tokens >= 1) {
      this.set(key, tokens - 1, t);
      return { ok: true };
    }
    this.set(key, tokens, t);
    return { ok: false, retryInMs: Math.ceil(((1 - tokens) * windowMs) / limit) };
  }

  /**
   * Returns a token taken for an event that turned out not to count (a bearer token that verified:
   * only failures are limited, but the token is taken before the check so concurrent checks from
   * one key cannot all pass the limit at once).
   */
  giveBack(key: string): void {
    const t = this.now();
    this.set(key, Math.min(this.rate.limit, this.tokensAt(key, t) + 1), t);
  }

  private tokensAt(key: string, t: number): number {
    const { limit, windowMs } = this.rate;
    const b = this.buckets.get(key);
    return b ? Math.min(limit, b.tokens + ((t - b.at) * limit) / windowMs) : limit;
  }

  private set(key: string, tokens: number, at: number): void {
    this.buckets.delete(key); // re-inserted last: the Map's order is least recently used first
    this.buckets.set(key, { tokens, at });
    const max = this.rate.maxKeys ?? Infinity;
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= max) break;
      this.buckets.delete(oldest);
    }
  }
}
