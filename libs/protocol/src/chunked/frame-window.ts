import type { Ack } from '../error-codes';
import { ChunkTransferError } from './chunk-transfer-error';
import { FRAME_BYTES, FRAMES_IN_FLIGHT, frameCount, type TransferProgress } from './frames';

/**
 * One attempt at moving frame `index` (sending it, or fetching it and taking it in): resolves with
 * the ack — a refusal stops the transfer — and rejects on a transport failure (a lost frame or ack,
 * an ack timeout), which is retried. A retried frame may have arrived the first time; both ends
 * treat a duplicate as a no-op.
 */
export type FrameAttempt = (index: number) => Promise<Ack>;

/** How frames move, the same options for both directions. */
export interface FrameWindowOptions {
  /** Frames in flight at once; also the most a frame may run ahead of the first unacked one. */
  inFlight?: number;
  /** Re-tries of a frame whose attempt rejected, before giving up; default 2. */
  retries?: number;
  frameBytes?: number;
  onProgress?: (progress: TransferProgress) => void;
  /** Clock in milliseconds, for MB/s; default `performance.now`. */
  now?: () => number;
}

/** `inFlight` with its default, checked: both ends' windows must be a positive integer. */
export function framesInFlight(options: FrameWindowOptions): number {
  const inFlight = options.inFlight ?? FRAMES_IN_FLIGHT;
  if (!Number.isInteger(inFlight) || inFlight < 1) {
    throw new RangeError(`inFlight ${inFlight} must be a positive integer`);
  }
  return inFlight;
}

/**
 * Moves frames `fromFrame`… of a blob of `totalBytes` with up to `inFlight` (default
 * {@link FRAMES_IN_FLIGHT}) attempts outstanding, a sliding window: no frame starts more than
 * `inFlight` ahead of the first frame not yet acknowledged, so a receiver buffers at most that many
 * out of order. Resolves with the final progress when every frame is acknowledged; rejects with a
 * {@link ChunkTransferError} whose `nextFrame` is the first frame not acknowledged contiguously
 * (where to resume). Both the upload sender and the model downloader drive their frames with it.
 *
 * @example
 * await moveFrames(blob.length, 0, (index) => sendFrame(index, slice(index)), { inFlight: 8 });
 */
export async function moveFrames(
  totalBytes: number,
  fromFrame: number,
  attempt: FrameAttempt,
  options: FrameWindowOptions = {},
): Promise<TransferProgress> {
  const inFlight = framesInFlight(options);
  const retries = options.retries ?? 2;
  const frameBytes = options.frameBytes ?? FRAME_BYTES;
  const now = options.now ?? (() => performance.now());
  const frames = frameCount(totalBytes, frameBytes);
  if (!Number.isInteger(fromFrame) || fromFrame < 0 || fromFrame > frames) {
    throw new RangeError(`fromFrame ${fromFrame} is outside 0..${frames}`);
  }
  const started = now();
  const acked = new Uint8Array(frames);
  let contiguous = fromFrame;
  let next = fromFrame;
  let failure: ChunkTransferError | undefined;
  const pending = new Map<number, Promise<void>>();

  const progress = (): TransferProgress => {
    const bytes = Math.min(totalBytes, contiguous * frameBytes);
    const seconds = (now() - started) / 1000;
    const sessionBytes = bytes - Math.min(totalBytes, fromFrame * frameBytes);
    return {
      bytes,
      totalBytes,
      nextFrame: contiguous,
      frames,
      mbPerS: seconds > 0 ? sessionBytes / seconds / 1e6 : 0,
    };
  };

  const start = (index: number): void => {
    const run = withRetries(index, attempt, retries).then(
      () => {
        acked[index] = 1;
        while (contiguous < frames && acked[contiguous] === 1) contiguous++;
        options.onProgress?.(progress());
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
    while (next < frames && next < contiguous + inFlight) start(next++);
    await Promise.race(pending.values());
  }
  await Promise.all(pending.values());
  if (failure !== undefined) throw new ChunkTransferError(failure.code, failure.message, contiguous);
  return progress();
}

async function withRetries(index: number, attempt: FrameAttempt, retries: number): Promise<void> {
  let lastError: unknown;
  for (let tries = 0; tries <= retries; tries++) {
    let ack: Ack;
    try {
      ack = await attempt(index);
    } catch (err) {
      lastError = err;
      continue;
    }
    if (ack.ok) return;
    throw new ChunkTransferError(ack.code, `frame ${index} refused: ${ack.message}`, index);
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new ChunkTransferError('transport', `frame ${index} failed ${retries + 1} times: ${reason}`, index);
}
