import { createHash, type Hash } from 'node:crypto';
import type { Ack } from '../error-codes';
import { FRAME_BYTES, FRAMES_IN_FLIGHT, frameCount, frameIndexProblem, frameRange } from './frames';

/** Receives contiguous bytes in order: `offset` is the position of `chunk` in the blob. */
export type ChunkSink = (chunk: Uint8Array, offset: number) => void;

export interface ChunkReceiverOptions {
  totalBytes: number;
  /** Announced hex sha256 of the whole blob, checked by {@link ChunkReceiver.finish}. */
  sha256: string;
  sink: ChunkSink;
  frameBytes?: number;
  /** Frames accepted ahead of the first missing one (buffered until it arrives); default {@link FRAMES_IN_FLIGHT}. */
  window?: number;
  /** Frames already received in an earlier session (their bytes went to the sink then); default 0. */
  resumeFrom?: number;
}

export type FrameAccepted = { index: number; next_frame: number; duplicate: boolean };

/**
 * The receiving end of a chunked transfer. Frames may arrive in any order within the window
 * [nextFrame, nextFrame + window); the receiver buffers early ones and hands bytes to the sink
 * strictly in order, hashing them incrementally, so a blob can be written to a file or folded into
 * an aggregate while it arrives without ever being held whole. A frame seen before is acknowledged
 * again without effect (a re-send after a lost ack is harmless). Results are {@link Ack}s ready to
 * pass to a socket.io ack callback.
 *
 * Resuming across sessions (e.g. a coordinator restart): the sink's bytes are the stored prefix; a
 * new receiver with `resumeFrom` = stored frames re-hashes that prefix via `replay`.
 *
 * @example
 * const rx = new ChunkReceiver({ totalBytes, sha256, sink: (chunk) => file.write(chunk) });
 * socket.on(SiteEvent.uploadFrame, ({ index, data }, ack) => ack(rx.accept(index, data)));
 * socket.on(SiteEvent.uploadEnd, (_req, ack) => ack(rx.finish()));
 */
export class ChunkReceiver {
  private readonly frameBytes: number;
  private readonly window: number;
  private readonly frameTotal: number;
  private readonly early = new Map<number, Uint8Array>();
  private readonly hash: Hash = createHash('sha256');
  private next: number;
  private finished = false;

  constructor(private readonly options: ChunkReceiverOptions) {
    this.frameBytes = options.frameBytes ?? FRAME_BYTES;
    this.window = options.window ?? FRAMES_IN_FLIGHT;
    this.frameTotal = frameCount(options.totalBytes, this.frameBytes);
    this.next = options.resumeFrom ?? 0;
    if (!Number.isInteger(this.next) || this.next < 0 || this.next > this.frameTotal) {
      throw new RangeError(`resumeFrom ${this.next} is outside 0..${this.frameTotal}`);
    }
  }

  /** First frame not yet received contiguously: where a resumed sender starts. */
  get nextFrame(): number {
    return this.next;
  }

  get frames(): number {
    return this.frameTotal;
  }

  get complete(): boolean {
    return this.next === this.frameTotal;
  }

  /**
   * Feeds the bytes of an already-received prefix (frames 0..resumeFrom) to the hash, e.g. read back
   * from the file a previous session wrote, so {@link finish} can verify the whole blob.
   */
  replay(prefix: Uint8Array): void {
    this.hash.update(prefix);
  }

  /** Takes frame `index`; refuses a wrong size, an index out of range or beyond the window. */
  accept(index: number, data: Uint8Array): Ack<FrameAccepted> {
    const outside = frameIndexProblem(index, this.frameTotal);
    if (outside !== null) return this.refuse(outside);
    const { start, end } = frameRange(index, this.options.totalBytes, this.frameBytes);
    if (data.length !== end - start) {
      return this.refuse(`frame ${index} has ${data.length} bytes, expected ${end - start}`);
    }
    if (index < this.next || this.early.has(index)) {
      return { ok: true, index, next_frame: this.next, duplicate: true };
    }
    if (index >= this.next + this.window) {
      return this.refuse(
        `frame ${index} is beyond the window: frames ${this.next}..${this.next + this.window - 1} are accepted`,
      );
    }
    if (index === this.next) {
      this.deliver(data, start);
      this.drain();
    } else {
      this.early.set(index, Uint8Array.prototype.slice.call(data)); // own a copy: the caller may reuse its buffer
    }
    return { ok: true, index, next_frame: this.next, duplicate: false };
  }

  /** Checks that every frame arrived and the bytes hash to the announced sha256. */
  finish(): Ack<{ sha256: string }> {
    if (!this.complete) {
      return this.refuse(`transfer incomplete: frames ${this.next}..${this.frameTotal - 1} missing`);
    }
    if (this.finished) return { ok: false, code: 'bad_request', message: 'transfer already finished' };
    this.finished = true;
    const actual = this.hash.digest('hex');
    if (actual !== this.options.sha256) {
      return {
        ok: false,
        code: 'sha256_mismatch',
        message: `received bytes hash to ${actual}, announced ${this.options.sha256}`,
      };
    }
    return { ok: true, sha256: actual };
  }

  /** Sink first: if it throws, the frame is neither hashed nor counted and may be sent again. */
  private deliver(data: Uint8Array, offset: number): void {
    this.options.sink(data, offset);
    this.hash.update(data);
    this.next++;
  }

  private drain(): void {
    for (let data = this.early.get(this.next); data !== undefined; data = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.deliver(data, this.next * this.frameBytes);
    }
  }

  private refuse(message: string): { ok: false; code: 'bad_frame'; message: string } {
    return { ok: false, code: 'bad_frame', message };
  }
}
