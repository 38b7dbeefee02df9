import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { Ack } from '../error-codes';
import type { DownloadFrameAccepted } from '../events';
import { ChunkDownloader, type FetchFrame } from './chunk-downloader';
import { ChunkReceiver, type ChunkSink } from './chunk-receiver';
import { ChunkSender, type SendFrame } from './chunk-sender';
import { ChunkTransferError } from './chunk-transfer-error';
import { FrameServer } from './frame-server';
import { FRAME_BYTES, frameCount, type TransferProgress } from './frames';

const FRAME = 64; // small frames keep the loopback fast; the logic does not depend on the size
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Park–Miller minimal standard generator: deterministic "network" behaviour per seed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function blob(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** A sink that appends into `out`, checking the offsets are contiguous. */
function contiguousSink(length: number) {
  const out = new Uint8Array(length);
  let written = 0;
  const sink: ChunkSink = (chunk, offset) => {
    expect(offset).toBe(written);
    out.set(chunk, offset);
    written += chunk.length;
  };
  return { sink, out, written: () => written };
}

/** A receiver whose sink appends into `out`, checking the offsets are contiguous. */
function receiverFor(bytes: Uint8Array, options: { window?: number; sha256?: string } = {}) {
  const { sink, out, written } = contiguousSink(bytes.length);
  const rx = new ChunkReceiver({
    totalBytes: bytes.length,
    sha256: options.sha256 ?? sha(bytes),
    frameBytes: FRAME,
    window: options.window, // default FRAMES_IN_FLIGHT
    sink,
  });
  return { rx, out, written };
}

/**
 * In-memory loopback: each frame reaches the receiver after a random number of event-loop turns
 * (so frames and acks overtake each other); with probability `dropFrame` the frame is lost, with
 * `dropAck` the receiver gets it but the ack is lost; both surface as a rejected send (a timeout).
 */
function loopback(rx: ChunkReceiver, random: () => number, drop = { frame: 0, ack: 0 }, cutAfter = Infinity) {
  let sent = 0;
  const send: SendFrame = async (index, data) => {
    sent++;
    for (let turns = Math.floor(random() * 4); turns > 0; turns--) await new Promise((r) => setImmediate(r));
    if (sent > cutAfter) throw new Error('disconnected');
    if (random() < drop.frame) throw new Error(`ack timeout (frame ${index} lost)`);
    const ack: Ack = rx.accept(index, data);
    if (random() < drop.ack) throw new Error(`ack timeout (ack ${index} lost)`);
    return ack;
  };
  return send;
}

describe('chunked transfer over an in-memory loopback', () => {
  const bytes = blob(FRAME * 40 + 17); // 41 frames, the last one short

  it('delivers every byte in order with the default frames in flight and reordering', async () => {
    // Default sender against a default receiver: a frame beyond the window would be refused.
    const { rx, out } = receiverFor(bytes);
    const progress: TransferProgress[] = [];
    const sender = new ChunkSender(bytes, loopback(rx, prng(1)), {
      frameBytes: FRAME,
      onProgress: (p) => progress.push(p),
    });
    const done = await sender.send();
    expect(done).toMatchObject({ bytes: bytes.length, totalBytes: bytes.length, nextFrame: 41, frames: 41 });
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
    expect(out).toEqual(bytes);
    const seen = progress.map((p) => p.bytes);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // monotone
  });

  it('survives lost frames and lost acks by re-sending; duplicates are harmless', async () => {
    const { rx, out, written } = receiverFor(bytes);
    const sender = new ChunkSender(bytes, loopback(rx, prng(2), { frame: 0.15, ack: 0.15 }), {
      frameBytes: FRAME,
      retries: 10,
    });
    await sender.send();
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
    expect(written()).toBe(bytes.length);
    expect(out).toEqual(bytes);
  });

  it('stops with the frame to resume from when the link dies, and a new session resumes there', async () => {
    const { rx, out } = receiverFor(bytes);
    const first = new ChunkSender(bytes, loopback(rx, prng(3), undefined, 15), {
      frameBytes: FRAME,
      retries: 1,
    });
    const err = await first.send().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChunkTransferError);
    expect((err as ChunkTransferError).code).toBe('transport');
    const resumeAt = rx.nextFrame; // what upload:begin answers on reconnect
    expect(resumeAt).toBeGreaterThan(0);
    expect(resumeAt).toBeLessThan(41);
    expect((err as ChunkTransferError).nextFrame).toBeLessThanOrEqual(resumeAt);

    let firstResent = -1;
    const second = new ChunkSender(
      bytes,
      async (index, data) => {
        if (firstResent < 0) firstResent = index;
        return rx.accept(index, data);
      },
      { frameBytes: FRAME },
    );
    await second.send(resumeAt);
    expect(firstResent).toBe(resumeAt);
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
    expect(out).toEqual(bytes);
  });

  it('reports MB/s over the bytes acknowledged in this session', async () => {
    // Fake clock: each frame takes 500 ms, one at a time, resuming at frame 1 of 41.
    // MB/s = (2577 − 64) bytes / (40 × 0.5 s) / 10⁶.
    let clock = 0;
    const { rx } = receiverFor(bytes);
    rx.accept(0, bytes.subarray(0, FRAME));
    const sender = new ChunkSender(
      bytes,
      async (index, data) => {
        clock += 500;
        return rx.accept(index, data);
      },
      { frameBytes: FRAME, inFlight: 1, now: () => clock },
    );
    const done = await sender.send(1);
    expect(done.mbPerS).toBeCloseTo((bytes.length - FRAME) / 20 / 1e6, 12);
  });

  it('stops at once when the receiver refuses a frame', async () => {
    const sender = new ChunkSender(
      bytes,
      async (index) =>
        index === 2 ? { ok: false, code: 'wrong_round', message: 'round 4 is over' } : { ok: true },
      { frameBytes: FRAME, inFlight: 1 },
    );
    await expect(sender.send()).rejects.toMatchObject({ code: 'wrong_round', nextFrame: 2 });
  });
});

describe('ChunkReceiver', () => {
  const bytes = blob(FRAME * 3 + 5); // frames of 64, 64, 64, 5
  const frame = (i: number): Uint8Array => bytes.subarray(i * FRAME, Math.min(bytes.length, (i + 1) * FRAME));

  it('refuses wrong sizes, out-of-range indices and frames beyond the window', () => {
    const { rx } = receiverFor(bytes, { window: 2 });
    expect(rx.accept(0, frame(0).subarray(1))).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'frame 0 has 63 bytes, expected 64',
    });
    expect(rx.accept(4, new Uint8Array(5))).toMatchObject({
      ok: false,
      message: 'frame index 4 is outside 0..3',
    });
    expect(rx.accept(-1, frame(0))).toMatchObject({ ok: false, code: 'bad_frame' });
    expect(rx.accept(2, frame(2))).toMatchObject({
      ok: false,
      message: expect.stringContaining('beyond the window'),
    });
    expect(rx.nextFrame).toBe(0);
  });

  it('buffers out-of-order frames, acknowledges duplicates once, and tracks the contiguous prefix', () => {
    const { rx, written } = receiverFor(bytes);
    expect(rx.accept(2, frame(2))).toEqual({ ok: true, index: 2, next_frame: 0, duplicate: false });
    expect(rx.accept(2, frame(2))).toEqual({ ok: true, index: 2, next_frame: 0, duplicate: true });
    expect(written()).toBe(0);
    expect(rx.accept(0, frame(0))).toMatchObject({ next_frame: 1 });
    expect(rx.accept(1, frame(1))).toMatchObject({ next_frame: 3 }); // 1 and the buffered 2 flushed
    expect(rx.accept(0, frame(0))).toMatchObject({ ok: true, duplicate: true, next_frame: 3 });
    expect(written()).toBe(3 * FRAME);
    expect(rx.finish()).toMatchObject({ ok: false, message: 'transfer incomplete: frames 3..3 missing' });
    rx.accept(3, frame(3));
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
  });

  it('does not count a frame whose sink threw, so its re-send is taken', () => {
    let fail = true;
    const seen: number[] = [];
    const rx = new ChunkReceiver({
      totalBytes: bytes.length,
      sha256: sha(bytes),
      frameBytes: FRAME,
      sink: (_c, offset) => {
        if (fail) throw new Error('disk full');
        seen.push(offset);
      },
    });
    expect(() => rx.accept(0, frame(0))).toThrow('disk full');
    fail = false;
    for (let i = 0; i < 4; i++) expect(rx.accept(i, frame(i))).toMatchObject({ ok: true, duplicate: false });
    expect(seen).toEqual([0, 64, 128, 192]);
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
  });

  it('detects bytes that do not match the announced sha256', () => {
    const { rx } = receiverFor(bytes, { sha256: sha(new Uint8Array(1)) });
    for (let i = 0; i < 4; i++) rx.accept(i, frame(i));
    expect(rx.finish()).toMatchObject({ ok: false, code: 'sha256_mismatch' });
  });

  it('verifies a resumed transfer whose prefix is replayed from storage', () => {
    const out: number[] = [];
    const rx = new ChunkReceiver({
      totalBytes: bytes.length,
      sha256: sha(bytes),
      frameBytes: FRAME,
      resumeFrom: 2,
      sink: (c) => out.push(c.length),
    });
    rx.replay(bytes.subarray(0, 2 * FRAME));
    rx.accept(2, frame(2));
    rx.accept(3, frame(3));
    expect(out).toEqual([64, 5]);
    expect(rx.finish()).toEqual({ ok: true, sha256: sha(bytes) });
  });

  it('uses 1 MiB frames by default', () => {
    // 2.5 MiB → frames of 1 MiB, 1 MiB, 0.5 MiB.
    expect(FRAME_BYTES).toBe(1048576);
    expect(frameCount(2.5 * 1048576)).toBe(3);
    const rx = new ChunkReceiver({ totalBytes: 2.5 * 1048576, sha256: '', sink: () => undefined });
    expect(rx.accept(2, new Uint8Array(1048576))).toMatchObject({
      ok: false,
      message: 'frame 2 has 1048576 bytes, expected 524288',
    });
  });
});

describe('FrameServer', () => {
  const bytes = blob(FRAME * 3 + 5); // frames of 64, 64, 64, 5

  it('describes the blob as download:begin announces it and serves each frame as a view', () => {
    const server = new FrameServer(bytes, FRAME);
    expect(server.describe()).toEqual({ bytes: FRAME * 3 + 5, frames: 4, frame_bytes: FRAME });
    const last = server.frame(3) as { ok: true } & DownloadFrameAccepted;
    expect(last).toEqual({ ok: true, index: 3, data: bytes.subarray(3 * FRAME) });
    expect(last.data.buffer).toBe(bytes.buffer);
    expect(server.frame(0)).toMatchObject({ ok: true, index: 0, data: bytes.subarray(0, FRAME) });
  });

  it.each([-1, 4, 1.5, NaN])('refuses frame %p with bad_frame', (index) => {
    expect(new FrameServer(bytes, FRAME).frame(index)).toEqual({
      ok: false,
      code: 'bad_frame',
      message: `frame index ${index} is outside 0..3`,
    });
  });

  it('serves an empty blob as one empty frame, with 1 MiB frames by default', () => {
    const server = new FrameServer(new Uint8Array(0));
    expect(server.describe()).toEqual({ bytes: 0, frames: 1, frame_bytes: FRAME_BYTES });
    expect(server.frame(0)).toMatchObject({ ok: true, index: 0, data: new Uint8Array(0) });
    expect(server.frame(1)).toMatchObject({ ok: false, code: 'bad_frame' });
  });
});

describe('ChunkDownloader against a FrameServer', () => {
  const bytes = blob(FRAME * 40 + 17); // 41 frames, the last one short
  const server = new FrameServer(bytes, FRAME);

  /** A downloader writing into `out`, checking the offsets are contiguous. */
  function downloaderFor(options: { sha256?: string; inFlight?: number; retries?: number } = {}) {
    const { sink, out } = contiguousSink(bytes.length);
    const downloader = new ChunkDownloader({
      totalBytes: bytes.length,
      sha256: options.sha256 ?? sha(bytes),
      frameBytes: FRAME,
      inFlight: options.inFlight,
      retries: options.retries,
      sink,
    });
    return { downloader, out };
  }

  /**
   * The network between the downloader and the server: each answer comes back after 1–4
   * event-loop turns (so answers overtake each other); with probability `drop` a request or its
   * answer is lost (a rejected fetch: an ack timeout); after `cutAfter` requests the link is dead.
   */
  function network(random: () => number, drop = 0, cutAfter = Infinity) {
    const asked: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: FetchFrame = async (index) => {
      asked.push(index);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        for (let turns = 1 + Math.floor(random() * 4); turns > 0; turns--)
          await new Promise((r) => setImmediate(r));
        if (asked.length > cutAfter) throw new Error('disconnected');
        if (random() < drop) throw new Error(`ack timeout (frame ${index})`);
        return server.frame(index);
      } finally {
        inFlight--;
      }
    };
    return { fetch, asked, maxInFlight: () => maxInFlight };
  }

  it('writes every frame in order with several in flight, verifies the sha256 and reports progress', async () => {
    const progress: number[] = [];
    const out = new Uint8Array(bytes.length);
    const downloader = new ChunkDownloader({
      totalBytes: bytes.length,
      sha256: sha(bytes),
      frameBytes: FRAME,
      sink: (chunk, offset) => out.set(chunk, offset),
      onProgress: (p) => progress.push(p.bytes),
    });
    const net = network(prng(11));
    const done = await downloader.download(net.fetch);
    expect(done).toMatchObject({ bytes: bytes.length, nextFrame: 41, frames: 41 });
    expect(out).toEqual(bytes);
    expect(net.maxInFlight()).toBe(8); // FRAMES_IN_FLIGHT
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('re-asks for a frame whose request or answer was lost', async () => {
    const { downloader, out } = downloaderFor({ retries: 10 });
    await downloader.download(network(prng(12), 0.2).fetch);
    expect(out).toEqual(bytes);
  });

  it('resumes an interrupted download where its bytes end, without fetching a frame twice', async () => {
    const { downloader, out } = downloaderFor({ retries: 1 });
    const first = network(prng(13), 0, 15);
    const err = await downloader.download(first.fetch).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChunkTransferError);
    expect(err).toMatchObject({ code: 'transport', nextFrame: downloader.nextFrame });
    const resumeAt = downloader.nextFrame;
    expect(resumeAt).toBeGreaterThan(0);
    expect(resumeAt).toBeLessThan(41);

    // A new download id after reconnecting: the downloader asks for the rest only.
    const second = network(prng(14));
    await downloader.download(second.fetch);
    expect(Math.min(...second.asked)).toBe(resumeAt);
    expect(out).toEqual(bytes);
  });

  it('resumes in a later session from the frames already stored, replaying them for the hash', async () => {
    const stored = 17;
    const out = Uint8Array.from(bytes.subarray(0, stored * FRAME));
    const rest: number[] = [];
    const downloader = new ChunkDownloader({
      totalBytes: bytes.length,
      sha256: sha(bytes),
      frameBytes: FRAME,
      resumeFrom: stored,
      sink: (chunk, offset) => rest.push(offset, chunk.length),
    });
    downloader.replay(out);
    const net = network(prng(15));
    await expect(downloader.download(net.fetch)).resolves.toMatchObject({ nextFrame: 41 });
    expect(Math.min(...net.asked)).toBe(stored);
    expect(rest[0]).toBe(stored * FRAME);
  });

  it('refuses bytes that do not hash to the announced sha256', async () => {
    const { downloader } = downloaderFor({ sha256: sha(new Uint8Array(1)) });
    await expect(downloader.download(network(prng(16)).fetch)).rejects.toMatchObject({
      code: 'sha256_mismatch',
      message: `received bytes hash to ${sha(bytes)}, announced ${sha(new Uint8Array(1))}`,
    });
  });

  it('stops on a refused frame, a frame of the wrong size, index or type', async () => {
    const cases: [FetchFrame, object][] = [
      [
        async (i) =>
          i === 3 ? { ok: false, code: 'not_found', message: 'no download d1' } : server.frame(i),
        { code: 'not_found', nextFrame: 3, message: 'frame 3 refused: no download d1' },
      ],
      [
        async (i) => (i === 2 ? { ok: true, index: 2, data: new Uint8Array(5) } : server.frame(i)),
        { code: 'bad_frame', nextFrame: 2, message: 'frame 2 refused: frame 2 has 5 bytes, expected 64' },
      ],
      [
        async (i) => server.frame(i === 1 ? 0 : i),
        { code: 'bad_frame', nextFrame: 1, message: 'frame 1 refused: asked for frame 1, got frame 0' },
      ],
      [
        // A peer's ack is untyped JSON on the wire: a string of the right length is not a frame.
        async (i) =>
          i === 4
            ? ({ ok: true, index: 4, data: 'x'.repeat(64) } as unknown as Ack<DownloadFrameAccepted>)
            : server.frame(i),
        { code: 'bad_frame', nextFrame: 4, message: 'frame 4 refused: frame 4 is not binary' },
      ],
    ];
    for (const [fetch, expected] of cases) {
      const { downloader } = downloaderFor({ inFlight: 1 });
      await expect(downloader.download(fetch)).rejects.toMatchObject(expected);
    }
  });
});
