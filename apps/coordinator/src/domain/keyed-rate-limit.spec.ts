import { describe, expect, it } from '@jest/globals';
import { KeyedRateLimit } from './keyed-rate-limit';

// Reference values worked by hand from the token-bucket rule (RFC 2697 §1): burst = limit tokens,
// refilled at limit / windowMs tokens per ms, one token per event.
describe('KeyedRateLimit', () => {
  it('allows a burst of `limit`, then one event per windowMs / limit, saying how long to wait', () => {
    let t = 0;
    const limit = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => t);
    expect(limit.take('a')).toEqual({ ok: true });
    expect(limit.take('a')).toEqual({ ok: true });
    expect(limit.take('a')).toEqual({ ok: false, retryInMs: 500 });
    t = 200; // 0.4 of a token back
    expect(limit.take('a')).toEqual({ ok: false, retryInMs: 300 });
    t = 500;
    expect(limit.take('a')).toEqual({ ok: true });
    expect(limit.take('a')).toEqual({ ok: false, retryInMs: 500 });
  });

  it('keeps one bucket per key', () => {
    const limit = new KeyedRateLimit({ limit: 1, windowMs: 60_000 }, () => 0);
    expect(limit.take('a')).toEqual({ ok: true });
    expect(limit.take('b')).toEqual({ ok: true });
    expect(limit.take('a')).toEqual({ ok: false, retryInMs: 60_000 });
  });

  it('refills no further than the burst after a long quiet spell', () => {
    let t = 0;
    const limit = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => t);
    limit.take('a');
    t = 3_600_000;
    const taken = [limit.take('a'), limit.take('a'), limit.take('a')].map((d) => d.ok);
    expect(taken).toEqual([true, true, false]);
  });

  it('lets the site client through: progress every 500 ms plus its final step 100 ms later', () => {
    // apps/site-client train-progress.ts: at most one per 500 ms, but the last step always.
    let t = 0;
    const limit = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => t);
    const sent = [0, 500, 1000, 1500, 1600].map((at) => ((t = at), limit.take('a').ok));
    expect(sent).toEqual([true, true, true, true, true]);
  });

  it('giveBack returns a taken token, never past the burst', () => {
    const limit = new KeyedRateLimit({ limit: 2, windowMs: 1000 }, () => 0);
    limit.take('a');
    limit.take('a');
    limit.giveBack('a');
    expect(limit.take('a')).toEqual({ ok: true });
    expect(limit.take('a')).toEqual({ ok: false, retryInMs: 500 });
    limit.giveBack('b'); // a full bucket stays full
    expect([limit.take('b'), limit.take('b'), limit.take('b')].map((d) => d.ok)).toEqual([true, true, false]);
  });

  it('with maxKeys, forgets the least recently used key first', () => {
    const limit = new KeyedRateLimit({ limit: 1, windowMs: 60_000, maxKeys: 2 }, () => 0);
    limit.take('a');
    limit.take('b');
    limit.take('a'); // refused, but a is now the most recently used
    limit.take('c'); // b is forgotten
    expect(limit.take('a').ok).toBe(false);
    expect(limit.take('b').ok).toBe(true); // a fresh bucket
  });

  it('refuses a nonsensical rate at construction', () => {
    expect(() => new KeyedRateLimit({ limit: 0, windowMs: 1000 })).toThrow(/rate limit 0 per 1000 ms/);
  });
});
