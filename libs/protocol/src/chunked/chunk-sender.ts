import type { Ack } from '../error-codes';
import { ChunkTransferError } from './chunk-transfer-error';
import { FRAME_BYTES, FRAMES_IN_FLIGHT, frameCount, frameRange, type TransferProgress } from './frames';

/** Sends one frame and resolves with the peer's ack; rejects on transport failure (e.g. ack timeout). */
export type SendFrame = (index: number, data: Uint8Array) => Promise<Ack>;

export interface ChunkSenderOptions {
  /** Frames awaiting their ack at once; also the most a frame may run ahead of the first unacked one. */
  inFlight?: number;
  /** Re-sends of a frame whose `sendFrame` rejected, before giving up (receivers treat duplicates as no-ops). */
  retries?: number;
  frameBytes?: number;
  onProgress?: (progress: TransferProgress) => void;
  /** Clock in milliseconds, for MB/s; default `performance.now`. */
  now?: () => number;
}

/**
 * Sends a blob as numbered frames with up to `inFlight` (default {@link FRAMES_IN_FLIGHT}) unacknowledged frames, a sliding
 * window so no frame runs more than `inFlight` ahead of the first unacknowledged one (the receiver
 * buffers at most that many out of order). Transport-agnostic: `sendFrame` wraps a socket.io
 * `emitWithAck`, or an in-memory receiver in tests.
 *
 * @example
 * const sender = new ChunkSender(blob, (index, data) =>
 *   socket.timeout(30_000).emitWithAck(SiteEvent.uploadFrame, { upload_id, index, data }));
 * await sender.send(begin.next_frame); // resumes where the coordinator's copy ends
 */
export class ChunkSender {
  private readonly inFlight: number;
  private readonly retries: number;
  private readonly frameBytes: number;
  private readonly now: () => number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly sendFrame: SendFrame,
    private readonly options: ChunkSenderOptions = {},
  ) {
    this.inFlight = options.inFlight ?? FRAMES_IN_FLIGHT;
    this.retries = options.retries ?? 2;
    this.frameBytes = options.frameBytes ?? FRAME_BYTES;
    this.now = options.now ?? (() => performance.now());
    if (!Number.isInteger(this.inFlight) || this.inFlight < 1) {
      throw new RangeError(`inFlight ${this.inFlight} must be a positive integer`);
    }
  }

  get frames(): number {
    return frameCount(this.bytes.length, this.frameBytes);
  }

  /**
   * Sends frames `fromFrame`… and resolves when all are acknowledged; rejects with a
   * {@link ChunkTransferError} carrying the frame to resume from.
   */
  async send(fromFrame = 0): Promise<TransferProgress> {
    const frames = this.frames;
    if (!Number.isInteger(fromFrame) || fromFrame < 0 || fromFrame > frames) {
      throw new RangeError(`fromFrame ${fromFrame} is outside 0..${frames}`);
    }
    const started = this.now();
    const acked = new Uint8Array(frames);
    let contiguous = fromFrame;
    let next = fromFrame;
    let failure: ChunkTransferError | undefined;
    const pending = new Map<number, Promise<void>>();

    const progress = (): TransferProgress => {
      const bytes = Math.min(this.bytes.length, contiguous * this.frameBytes);
      const seconds = (this.now() - started) / 1000;
      const sessionBytes = bytes - Math.min(this.bytes.length, fromFrame * this.frameBytes);
      return {
        bytes,
        totalBytes: this.bytes.length,
        nextFrame: contiguous,
        frames,
        mbPerS: seconds > 0 ? sessionBytes / seconds / 1e6 : 0,
      };
    };

    const start = (index: number): void => {
      const run = this.sendWithRetries(index).then(
        () => {
          acked[index] = 1;
          while (contiguous < frames && acked[contiguous] === 1) contiguous++;
          this.options.onProgress?.(progress());
        },
        (err: ChunkTransferError) => {
          failure ??= err;
        },
      );
      pending.set(
        index,
        run.finally(() => pending.delete(index)),
      );
    };

    while (contiguous < frames && failure === undefined) {
      while (next < frames && next < contiguous + this.inFlight) start(next++);
      await Promise.race(pending.values());
    }
    await Promise.all(pending.values());
    if (failure !== undefined) throw new ChunkTransferError(failure.code, failure.message, contiguous);
    return progress();
  }

  private async sendWithRetries(index: number): Promise<void> {
    const { start, end } = frameRange(index, this.bytes.length, this.frameBytes);
    const data = this.bytes.subarray(start, end);
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      let ack: Ack;
      try {
        ack = await this.sendFrame(index, data);
      } catch (err) {
        lastError = err;
        continue;
      }
      if (ack.ok) return;
      throw new ChunkTransferError(ack.code, `frame ${index} refused: ${ack.message}`, index);
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ChunkTransferError(
      'transport',
      `frame ${index} failed ${this.retries + 1} times: ${reason}`,
      index,
    );
  }
}
