import {
  ChunkDownloader,
  ChunkTransferError,
  SiteEvent,
  type TaskPayload,
  type TransferProgress,
} from '@fedaln/protocol';
import { ACK_TIMEOUT_MS, request, type SiteSocket } from '../run/site-socket';
import type { WorkDir } from './work-dir';

export interface DownloadOptions {
  /** Frame requests awaiting their ack at once; default `FRAMES_IN_FLIGHT`. */
  inFlight?: number;
  /** Re-requests of a frame whose ack timed out; default 2. */
  retries?: number;
  frameTimeoutMs?: number;
  onProgress?: (p: TransferProgress) => void;
}

/**
 * The task's global model: from the work dir when already downloaded, else `download:begin` and
 * `download:frame` requests with several in flight (`ChunkDownloader`), assembled and checked
 * against the task's sha256 before anything uses it.
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
  const downloader = new ChunkDownloader({
    totalBytes: begin.bytes,
    sha256: task.model_sha256,
    frameBytes: begin.frame_bytes,
    sink: (chunk, offset) => bytes.set(chunk, offset),
    inFlight: options.inFlight,
    retries: options.retries,
    onProgress: options.onProgress,
  });
  try {
    await downloader.download((index) =>
      socket
        .timeout(options.frameTimeoutMs ?? ACK_TIMEOUT_MS)
        .emitWithAck(SiteEvent.downloadFrame, { download_id: begin.download_id, index }),
    );
  } catch (err) {
    if (err instanceof ChunkTransferError && err.code === 'sha256_mismatch') {
      throw new Error(
        `the downloaded global model v${task.model_version} is not the one the task announced: ${err.message}; not used`,
      );
    }
    throw err;
  }
  await work.storeModel(task.model_sha256, bytes);
  return bytes;
}
