import type { Ack } from '../error-codes';
import { FRAME_BYTES, frameCount, frameRange, type TransferProgress } from './frames';
import { framesInFlight, moveFrames, type FrameWindowOptions } from './frame-window';

/** Sends one frame and resolves with the peer's ack; rejects on transport failure (e.g. ack timeout). */
export type SendFrame = (index: number, data: Uint8Array) => Promise<Ack>;

/** How a {@link ChunkSender} sends; `retries` re-send a frame whose `sendFrame` rejected. */
export type ChunkSenderOptions = FrameWindowOptions;

/**
 * Sends a blob as numbered frames with up to `inFlight` unacknowledged frames (default `FRAMES_IN_FLIGHT`), a sliding
 * window so no frame runs more than `inFlight` ahead of the first unacknowledged one (the receiver
 * buffers at most that many out of order; `moveFrames`). Transport-agnostic: `sendFrame` wraps a
 * socket.io `emitWithAck`, or an in-memory receiver in tests.
 *
 * @example
 * const sender = new ChunkSender(blob, (index, data) =>
 *   socket.timeout(30_000).emitWithAck(SiteEvent.uploadFrame, { upload_id, index, data }));
 * await sender.send(begin.next_frame); // resumes where the coordinator's copy ends
 */
export class ChunkSender {
  private readonly frameBytes: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly sendFrame: SendFrame,
    private readonly options: ChunkSenderOptions = {},
  ) {
    this.frameBytes = options.frameBytes ?? FRAME_BYTES;
    framesInFlight(options);
  }

  get frames(): number {
    return frameCount(this.bytes.length, this.frameBytes);
  }

  /**
   * Sends frames `fromFrame`… and resolves when all are acknowledged; rejects with a
   * `ChunkTransferError` carrying the frame to resume from.
   */
  send(fromFrame = 0): Promise<TransferProgress> {
    return moveFrames(
      this.bytes.length,
      fromFrame,
      (index) => {
        const { start, end } = frameRange(index, this.bytes.length, this.frameBytes);
        return this.sendFrame(index, this.bytes.subarray(start, end));
      },
      this.options,
    );
  }
}
