/**
 * The fault proxy itself (tests/e2e/support/fault-proxy.ts), against an echo server on loopback:
 * it forwards bytes intact, its delay and bandwidth cap hold as lower bounds, its seeded resets and
 * stalls fall on the chunks the seed predicts, and its cuts and partitions do what they say.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { FaultProxy, type FaultPlan } from '../support/fault-proxy';

let echo: net.Server;
let echoPort = 0;
/** Bytes the echo server received, over all connections. */
let echoed = 0;

beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on('data', (d: Buffer) => {
      echoed += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

async function withProxy<T>(plan: FaultPlan, body: (proxy: FaultProxy) => Promise<T>): Promise<T> {
  const proxy = await FaultProxy.start(echoPort, plan);
  try {
    return await body(proxy);
  } finally {
    await proxy.close();
  }
}

/** A client of the proxy that reads what comes back and knows how it ended. */
async function client(proxy: FaultProxy) {
  const socket = net.connect(proxy.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let received = Buffer.alloc(0);
  let waiter: (() => void) | null = null;
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    socket.on('close', () => resolve('closed'));
  });
  void closed.then(() => waiter?.());
  socket.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    waiter?.();
  });
  return {
    socket,
    closed,
    /** Resolves with the first `n` bytes received, or null if the connection ended first. */
    async read(n: number): Promise<Buffer | null> {
      while (received.length < n) {
        if (socket.destroyed) return null;
        await new Promise<void>((r) => (waiter = r));
      }
      const out = received.subarray(0, n);
      received = received.subarray(n);
      return out;
    },
  };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('fault proxy', () => {
  it('forwards 3 MB both ways intact', async () => {
    await withProxy({ seed: 1 }, async (proxy) => {
      const c = await client(proxy);
      const data = randomBytes(3 * 1024 * 1024);
      c.socket.write(data);
      const back = await c.read(data.length);
      expect(sha(back!)).toBe(sha(data));
      expect([proxy.stats.bytesUp, proxy.stats.bytesDown]).toEqual([data.length, data.length]);
      c.socket.destroy();
    });
  });

  it('adds its delay each way: an echo takes at least 2 × delayMs', async () => {
    await withProxy({ seed: 1, delayMs: 150 }, async (proxy) => {
      const c = await client(proxy);
      const t0 = performance.now();
      c.socket.write('ping');
      expect((await c.read(4))!.toString()).toBe('ping');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * 150 - 2);
      c.socket.destroy();
    });
  });

  it('caps bandwidth: 200 KB at 400 KB/s arrive no sooner than 0.45 s', async () => {
    await withProxy({ seed: 1, bytesPerSecond: 400_000 }, async (proxy) => {
      const c = await client(proxy);
      const data = randomBytes(200_000);
      const t0 = performance.now();
      c.socket.write(data);
      expect(sha((await c.read(data.length))!)).toBe(sha(data));
      // Pieces of 1/20 s (20 KB), each followed by its transmission time: the tenth and last leaves
      // 9 × 50 ms after the first. (Both directions overlap, so the echo adds no second 0.5 s.)
      expect(performance.now() - t0).toBeGreaterThanOrEqual(450 - 2);
      c.socket.destroy();
    });
  });

  /**
   * One message at a time, each echoed before the next is sent, so each is one chunk each way: the
   * chunk that is reset (or stalled) is the first whose draw from the connection's seeded stream
   * falls under p (up: stream (seed, 0, 0); down: (seed, 0, 1)).
   */
  it('resets the connection on the chunk its seed picks', async () => {
    const seed = 2026;
    const p = 0.05;
    const up = Xoshiro128StarStar.fromSeed(seed, 0, 0);
    const down = Xoshiro128StarStar.fromSeed(seed, 0, 1);
    let expected = 0;
    for (; ; expected++) {
      if (up.nextFloat() < p) break; // reset before forwarding upstream
      if (down.nextFloat() < p) break; // reset before echoing back
    }
    expect(expected).toBeGreaterThan(0); // this seed forwards some messages first
    await withProxy({ seed, resetProbability: p }, async (proxy) => {
      const c = await client(proxy);
      let answered = 0;
      for (let i = 0; i < 1000; i++) {
        c.socket.write(`m${i};`);
        const back = await c.read(`m${i};`.length);
        if (back === null) break;
        answered++;
      }
      expect(answered).toBe(expected);
      expect(await c.closed).toBe('ECONNRESET');
      expect(proxy.stats.resets).toBe(1);
    });
  });

  it('stalls the chunks its seed picks, and delivers them after the stall', async () => {
    const seed = 99;
    const plan = { seed, stall: { probability: 0.2, ms: 40 } };
    const up = Xoshiro128StarStar.fromSeed(seed, 0, 0);
    const down = Xoshiro128StarStar.fromSeed(seed, 0, 1);
    let expected = 0;
    for (let i = 0; i < 30; i++)
      expected += (up.nextFloat() < 0.2 ? 1 : 0) + (down.nextFloat() < 0.2 ? 1 : 0);
    await withProxy(plan, async (proxy) => {
      const c = await client(proxy);
      const t0 = performance.now();
      for (let i = 0; i < 30; i++) {
        c.socket.write(`m${i};`);
        expect((await c.read(`m${i};`.length))!.toString()).toBe(`m${i};`);
      }
      expect(proxy.stats.stalls).toBe(expected);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(expected * 40 - 2);
      c.socket.destroy();
    });
  });

  it('cuts every connection cutAfterMs after it opened', async () => {
    await withProxy({ seed: 1, cutAfterMs: 300 }, async (proxy) => {
      const t0 = performance.now();
      const [a, b] = [await client(proxy), await client(proxy)];
      expect(await a.closed).toBe('ECONNRESET');
      expect(await b.closed).toBe('ECONNRESET');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(300 - 2);
      expect(proxy.stats.cuts).toBe(2);
      expect(proxy.open).toBe(0);
      // A new connection works until its own time is up.
      const c = await client(proxy);
      c.socket.write('again');
      expect((await c.read(5))!.toString()).toBe('again');
      expect(await c.closed).toBe('ECONNRESET');
    });
  });

  it('cuts a connection mid-stream once its upstream passes a byte count', async () => {
    await withProxy({ seed: 1 }, async (proxy) => {
      const before = echoed;
      const c = await client(proxy);
      const cut = proxy.whenUpstreamPasses(64 * 1024);
      c.socket.write(randomBytes(16 * 1024));
      expect(await c.read(16 * 1024)).not.toBeNull();
      c.socket.write(randomBytes(1024 * 1024));
      await cut;
      expect(await c.closed).toBe('ECONNRESET');
      // The chunk that crossed the line was not forwarded: the target saw less than the line.
      expect(echoed - before).toBeLessThanOrEqual(64 * 1024);
      expect(proxy.stats.cuts).toBe(1);
    });
  });

  it('holds everything during a partition and delivers it, in order, after heal()', async () => {
    await withProxy({ seed: 1 }, async (proxy) => {
      const c = await client(proxy);
      c.socket.write('before;');
      expect((await c.read(7))!.toString()).toBe('before;');
      proxy.partition();
      const before = echoed;
      c.socket.write('during;');
      // A connection opened during the partition is accepted and held too.
      const late = await client(proxy);
      late.socket.write('late;');
      // Both writes reached the proxy (counted) and went no further.
      await waitUntil(() => proxy.stats.bytesUp >= 7 + 7 + 5);
      expect(echoed).toBe(before);
      proxy.heal();
      expect((await c.read(7))!.toString()).toBe('during;');
      expect((await late.read(5))!.toString()).toBe('late;');
      c.socket.destroy();
      late.socket.destroy();
    });
  });
});

/** Polls `ok` on the event loop (for proxy counters, which change on socket events). */
async function waitUntil(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !ok();) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}
