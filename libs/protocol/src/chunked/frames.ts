/** Size of one transfer frame: 1 MiB (DESIGN.md "Wire format"); the last frame holds the remainder. */
export const FRAME_BYTES = 1 << 20;

/**
 * Frames a sender keeps unacknowledged at once, and the receiver's window (frames accepted ahead of
 * the first missing one), so the defaults of both ends agree; a sender must not use more than the
 * receiver's window. Throughput is at most this × 1 MiB per round trip: on loopback 4 and 8 measure
 * the same (`npm run bench -- transfer`), over 50 ms of round trip 8 allows ~170 MB/s. Frames of one
 * socket.io connection arrive in order, so a receiver rarely buffers any; at most this many.
 */
export const FRAMES_IN_FLIGHT = 8;

/**
 * Value for the coordinator Server's socket.io `maxHttpBufferSize`. Its default, 1e6 bytes (engine.io
 * `server.js`), is smaller than one 1 MiB frame, so without this the server drops the connection on
 * the first full frame. Two frames leave room for the packet envelope.
 *
 * @example
 * new Server(httpServer, { maxHttpBufferSize: SOCKET_MAX_BUFFER_BYTES });
 */
export const SOCKET_MAX_BUFFER_BYTES = 2 * FRAME_BYTES;

/**
 * Number of frames for a blob of `totalBytes`: ⌈totalBytes / frameBytes⌉ (an empty blob is one empty
 * frame, so every transfer has a last frame to acknowledge).
 *
 * @example
 * frameCount(3 * FRAME_BYTES + 1); // 4
 */
export function frameCount(totalBytes: number, frameBytes: number = FRAME_BYTES): number {
  return Math.max(1, Math.ceil(totalBytes / frameBytes));
}

/**
 * Byte range [start, end) of frame `index`.
 *
 * @example
 * frameRange(3, 3 * FRAME_BYTES + 1); // {start: 3145728, end: 3145729}
 */
export function frameRange(
  index: number,
  totalBytes: number,
  frameBytes: number = FRAME_BYTES,
): { start: number; end: number } {
  const start = index * frameBytes;
  return { start, end: Math.min(totalBytes, start + frameBytes) };
}

/**
 * Why `index` is not a frame of a blob of `frames` frames, or null when it is one: the message both
 * ends put in a `bad_frame` refusal.
 *
 * @example
 * frameIndexProblem(4, 4); // 'frame index 4 is outside 0..3'
 */
export function frameIndexProblem(index: number, frames: number): string | null {
  if (Number.isInteger(index) && index >= 0 && index < frames) return null;
  return `frame index ${index} is outside 0..${frames - 1}`;
}

/** Progress of a transfer; `mbPerS` is 10⁶ bytes per second over this session's acknowledged bytes. */
export interface TransferProgress {
  /** Bytes acknowledged contiguously from the start of the blob (resumed frames included). */
  bytes: number;
  totalBytes: number;
  nextFrame: number;
  frames: number;
  mbPerS: number;
}
