/** Size of one transfer frame: 1 MiB (DESIGN.md "Wire format"); the last frame holds the remainder. */
export const FRAME_BYTES = 1 << 20;

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

/** Progress of a transfer; `mbPerS` is 10⁶ bytes per second over this session's acknowledged bytes. */
export interface TransferProgress {
  /** Bytes acknowledged contiguously from the start of the blob (resumed frames included). */
  bytes: number;
  totalBytes: number;
  nextFrame: number;
  frames: number;
  mbPerS: number;
}
