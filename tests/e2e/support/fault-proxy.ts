/**
 * A fault-injecting TCP proxy in user space, put between a site and the coordinator by the fault
 * tests (the kernel here has no `tc netem`; no npm package does this without an outside binary:
 * toxiproxy needs its Go server). It forwards bytes both ways and can add, per direction:
 *
 * - `delayMs`: a one-way delay on every chunk (an added round trip of 2 × delayMs), pipelined like a
 *   long link, not a throughput limit;
 * - `bytesPerSecond`: a bandwidth cap per connection and direction;
 * - `stall`: with probability p per chunk, the direction holds for `ms` before that chunk;
 * - `resetProbability`: with probability p per chunk, the connection is reset (RST both ways) instead
 *   of forwarding it;
 * - `cutAfterMs`: every connection is cut this long after it opened (a proxy or NAT that drops long
 *   connections; the issue's field case is 60 s, tests use a few seconds).
 *
 * And on demand: `cutWhen(...)`, a hard cut of the connection whose upstream passes a byte count
 * (mid-stream), `partition()` / `heal()` (nothing passes, then everything held is delivered, as TCP
 * does after a link comes back), and `cutAll()`.
 *
 * A "chunk" is one read from a socket (a TCP segment or a coalesced run of them; a 1 MiB socket.io
 * frame is several). Randomness is seeded: connection k draws from xoshiro128** seeded with
 * (seed, k, direction), so a run's decisions per connection are reproducible.
 */
import * as net from 'node:net';
import { Xoshiro128StarStar } from '@fedaln/site-data';

export interface FaultPlan {
  /** Seed of every random decision. */
  readonly seed: number;
  /** One-way added delay per chunk, ms (both directions). */
  readonly delayMs?: number;
  /** Bandwidth cap per connection and direction, bytes per second. */
  readonly bytesPerSecond?: number;
  /** A hold of `ms` before a chunk, with probability `probability` per chunk. */
  readonly stall?: { readonly probability: number; readonly ms: number };
  /** Probability per chunk that the connection is reset instead. */
  readonly resetProbability?: number;
  /** Every connection is cut this long after it opened, ms. */
  readonly cutAfterMs?: number;
}

export type Direction = 'up' | 'down';

/** What the proxy did so far. */
export interface FaultStats {
  connections: number;
  /** Bytes received from clients (up) and from the target (down). */
  bytesUp: number;
  bytesDown: number;
  chunks: number;
  stalls: number;
  resets: number;
  /** Connections cut by `cutAfterMs`, `cutWhen` or `cutAll`. */
  cuts: number;
}

/** One proxied connection: the site's socket and the coordinator's. */
interface Link {
  readonly id: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly openedAt: number;
  /** The `cutAfterMs` timer, if armed. */
  cutTimer?: NodeJS.Timeout;
  /** Bytes the client sent on this connection. */
  up: number;
  down: number;
  closed: boolean;
}

/** Chunk delivery for one direction of one link: in order, delayed, capped, stalled. */
class Pipe {
  private readonly queue: { due: number; data: Buffer }[] = [];
  private queued = 0;
  private pumping = false;
  private stallUntil = 0;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly rng: Xoshiro128StarStar,
    private readonly onReset: () => void,
  ) {}

  push(data: Buffer): void {
    const plan = this.proxy.plan;
    this.proxy.stats.chunks++;
    if (plan.resetProbability && this.rng.nextFloat() < plan.resetProbability) {
      this.proxy.stats.resets++;
      this.onReset();
      return;
    }
    const now = Date.now();
    if (plan.stall && this.rng.nextFloat() < plan.stall.probability) {
      this.proxy.stats.stalls++;
      this.stallUntil = Math.max(this.stallUntil, now) + plan.stall.ms;
    }
    this.queue.push({ due: Math.max(now + (plan.delayMs ?? 0), this.stallUntil), data });
    this.queued += data.length;
    // Backpressure: a slow pipe stops reading instead of buffering without bound.
    if (this.queued > 4 * 1024 * 1024) this.from.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.to.destroyed) {
        await this.proxy.whileHealed();
        const head = this.queue[0]!;
        const wait = Math.max(head.due, this.stallUntil) - Date.now();
        if (wait > 0) {
          await sleep(wait);
          continue; // a stall may have been added meanwhile
        }
        const bps = this.proxy.plan.bytesPerSecond;
        // Under a cap, at most 1/20 s of bytes at a time, each followed by its transmission time.
        const piece = bps ? head.data.subarray(0, Math.max(1, Math.floor(bps / 20))) : head.data;
        if (piece.length === head.data.length) this.queue.shift();
        else head.data = head.data.subarray(piece.length);
        this.queued -= piece.length;
        if (!this.to.write(piece)) await drained(this.to);
        if (bps) await sleep((piece.length / bps) * 1000);
        if (this.queued < 1024 * 1024 && this.from.isPaused()) this.from.resume();
      }
      if (this.queue.length === 0 && this.endPending && !this.to.destroyed) this.to.end();
      if (this.to.destroyed && !this.from.destroyed) this.from.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private endPending = false;

  /** The source ended (FIN): end the other side once everything queued is delivered. */
  end(): void {
    this.endPending = true;
    void this.pump();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `socket` drains or closes, whichever comes first. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/**
 * @example
 * const proxy = await FaultProxy.start(coordinator.port, { seed: 7, delayMs: 250 }); // +500 ms RTT
 * spawnSite(['--coordinator', proxy.url, ...]);
 * await proxy.close();
 */
export class FaultProxy {
  readonly stats: FaultStats = {
    connections: 0,
    bytesUp: 0,
    bytesDown: 0,
    chunks: 0,
    stalls: 0,
    resets: 0,
    cuts: 0,
  };
  private readonly links = new Set<Link>();
  private healed: Promise<void> = Promise.resolve();
  private heal_: (() => void) | null = null;
  private readonly triggers: {
    direction: Direction;
    afterBytes: number;
    /** Bytes (that way) of each connection already open when the trigger was armed. */
    base: Map<Link, number>;
    fire: (link: Link) => void;
  }[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly targetPort: number,
    readonly targetHost: string,
    private current: FaultPlan,
  ) {}

  get plan(): FaultPlan {
    return this.current;
  }

  /** A new plan applies to open connections too (a `cutAfterMs` counts from when each opened). */
  set plan(plan: FaultPlan) {
    this.current = plan;
    for (const link of this.links) this.armCut(link);
  }

  /** Listens on `listenHost` (loopback by default), an OS-chosen port, forwarding to targetHost:targetPort. */
  static async start(
    targetPort: number,
    plan: FaultPlan,
    options: { targetHost?: string; listenHost?: string } = {},
  ): Promise<FaultProxy> {
    const server = net.createServer({ allowHalfOpen: true });
    const proxy = new FaultProxy(server, targetPort, options.targetHost ?? '127.0.0.1', plan);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.listenHost ?? '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    const { address } = this.server.address() as net.AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${this.port}`;
  }

  /** Connections open now. */
  get open(): number {
    return this.links.size;
  }

  /** Resolves once no partition is in force. */
  whileHealed(): Promise<void> {
    return this.healed;
  }

  /** From now on nothing passes either way (bytes are held, connections stay open), until `heal()`. */
  partition(): void {
    if (this.heal_) return;
    this.healed = new Promise((resolve) => (this.heal_ = resolve));
  }

  /** Ends a partition: everything held is delivered, in order (TCP retransmits after a link returns). */
  heal(): void {
    this.heal_?.();
    this.heal_ = null;
  }

  /** Resets every open connection now. */
  cutAll(): void {
    for (const link of this.links) this.cut(link);
  }

  /**
   * Resolves once one connection has carried more than `afterBytes` `direction`-wards (up: from the
   * site) from now on; with `cut` that connection is reset at that point, mid-stream, before the
   * chunk that crossed the line is forwarded; with `partition`, a {@link partition} starts there
   * (that chunk is held); with `none`, bytes flow on.
   */
  whenPasses(direction: Direction, afterBytes: number, action: 'cut' | 'partition' | 'none'): Promise<void> {
    return new Promise((resolve) => {
      this.triggers.push({
        direction,
        afterBytes,
        base: new Map([...this.links].map((l) => [l, direction === 'up' ? l.up : l.down])),
        fire: (link) => {
          if (action === 'cut') this.cut(link);
          if (action === 'partition') this.partition();
          resolve();
        },
      });
    });
  }

  /** {@link whenPasses} upstream, cutting by default. */
  whenUpstreamPasses(afterBytes: number, action: 'cut' | 'partition' | 'none' = 'cut'): Promise<void> {
    return this.whenPasses('up', afterBytes, action);
  }

  async close(): Promise<void> {
    this.heal();
    for (const link of this.links) this.destroy(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const id = this.stats.connections++;
    const upstream = net.connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    const link: Link = { id, client, upstream, openedAt: Date.now(), up: 0, down: 0, closed: false };
    this.links.add(link);
    const rng = (dir: number) => Xoshiro128StarStar.fromSeed(this.plan.seed, id, dir);
    const reset = () => this.cut(link, false);
    const upPipe = new Pipe(this, client, upstream, rng(0), reset);
    const downPipe = new Pipe(this, upstream, client, rng(1), reset);
    client.on('data', (data: Buffer) => {
      if (link.closed) return;
      link.up += data.length;
      this.stats.bytesUp += data.length;
      if (this.fire('up', link)) return;
      upPipe.push(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (link.closed) return;
      link.down += data.length;
      this.stats.bytesDown += data.length;
      if (this.fire('down', link)) return;
      downPipe.push(data);
    });
    // A side that closes has its queued bytes delivered to the other first, then a FIN; an error
    // tears both down.
    client.on('end', () => upPipe.end()).on('close', () => upPipe.end());
    upstream.on('end', () => downPipe.end()).on('close', () => downPipe.end());
    const failed = () => this.destroy(link);
    client.on('error', failed);
    upstream.on('error', failed);
    const forget = () => {
      if (client.destroyed && upstream.destroyed) this.links.delete(link);
    };
    client.on('close', forget);
    upstream.on('close', forget);
    client.once('close', () => clearTimeout(link.cutTimer));
    this.armCut(link);
  }

  private armCut(link: Link): void {
    clearTimeout(link.cutTimer);
    const after = this.plan.cutAfterMs;
    if (after === undefined || link.closed) return;
    link.cutTimer = setTimeout(() => this.cut(link), Math.max(0, link.openedAt + after - Date.now()));
  }

  /** Fires the first trigger `link` has crossed that way; true if that closed the link. */
  private fire(direction: Direction, link: Link): boolean {
    const carried = direction === 'up' ? link.up : link.down;
    const i = this.triggers.findIndex(
      (t) => t.direction === direction && carried - (t.base.get(link) ?? 0) > t.afterBytes,
    );
    if (i < 0) return false;
    const [trigger] = this.triggers.splice(i, 1);
    trigger!.fire(link);
    return link.closed;
  }

  /** Resets both sides (RST, as a middlebox that drops the connection state does). */
  private cut(link: Link, counted = true): void {
    if (link.closed) return;
    if (counted) this.stats.cuts++;
    link.closed = true;
    for (const s of [link.client, link.upstream]) {
      if (!s.destroyed) {
        // A socket still connecting cannot be reset; it is destroyed instead.
        if (s.readyState === 'open') s.resetAndDestroy();
        else s.destroy();
      }
    }
    this.links.delete(link);
  }

  private destroy(link: Link): void {
    link.closed = true;
    link.client.destroy();
    link.upstream.destroy();
    this.links.delete(link);
  }
}
