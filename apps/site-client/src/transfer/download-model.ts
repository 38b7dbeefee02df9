import { createHash } from 'node:crypto';
import {
  FRAMES_IN_FLIGHT,
  frameRange,
  SiteEvent,
  type TaskPayload,
  type TransferProgress,
} from '@fedaln/protocol';
import { request, type SiteSocket } from '../run/site-socket';
import type { WorkDir } from './work-dir';

export interface DownloadOptions {
  /** Frame requests awaiting their ack at once; default {@link FRAMES_IN_FLIGHT}. */
  inFlight?: number;
  /** Re-requests of a frame whose ack timed out; default 2. */
  retries?: number;
  frameTimeoutMs?: number;
  onProgress?: (p: TransferProgress) => void;
}

/**
 * The task's global model: from the work dir when already downloaded, else `download:begin` and
 * `download:frame` requests with several in flight, assembled and checked against the task's
 * sha256 before anything uses it.
 *
 * @example const blob = await downloadModel(socket, task, work, { onProgress: (p) => bar(p) });
 */
export async function downloadModel(
  socket: SiteSocket,
  task: TaskPayload,
  work: WorkDir,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  const cached = await work.cachedModel(task.model_sha256);
  if (cached) return cached;
  const begin = await request(socket, SiteEvent.downloadBegin, {
    study_id: task.study_id,
    round: task.round,
    model_sha256: task.model_sha256,
  });
  const bytes = new Uint8Array(begin.bytes);
  const started = performance.now();
  let received = 0;
  let done = 0;
  const fetchFrame = async (index: number): Promise<void> => {
    const { start, end } = frameRange(index, begin.bytes, begin.frame_bytes);
    let lastError: unknown;
    for (let attempt = 0; attempt <= (options.retries ?? 2); attempt++) {
      try {
        const frame = await request(
          socket,
          SiteEvent.downloadFrame,
          { download_id: begin.download_id, index },
          options.frameTimeoutMs,
        );
        if (frame.index !== index || frame.data.length !== end - start) {
          throw new Error(
            `download frame ${index}: got index ${frame.index} with ${frame.data.length} bytes, expected ${end - start}`,
          );
        }
        bytes.set(frame.data, start);
        received += frame.data.length;
        done++;
        const seconds = (performance.now() - started) / 1000;
        options.onProgress?.({
          bytes: received,
          totalBytes: begin.bytes,
          nextFrame: done,
          frames: begin.frames,
          mbPerS: seconds > 0 ? received / seconds / 1e6 : 0,
        });
        return;
      } catch (err) {
        if (!(err instanceof Error) || !/timed? ?out/i.test(err.message)) throw err;
        lastError = err;
      }
    }
    throw new Error(`download frame ${index} failed: ${(lastError as Error).message}`);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < begin.frames) await fetchFrame(next++);
  };
  await Promise.all(
    Array.from({ length: Math.min(options.inFlight ?? FRAMES_IN_FLIGHT, begin.frames) }, worker),
  );
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== task.model_sha256) {
    throw new Error(
      `the downloaded global model v${task.model_version} hashes to ${actual}, the task announced ${task.model_sha256}; not used`,
    );
  }
  await work.storeModel(actual, bytes);
  return bytes;
}
