import {
  ChunkDownloader,
  ChunkTransferError,
  frameCount,
  SiteEvent,
  SOCKET_MAX_BUFFER_BYTES,
  type DownloadBeginAccepted,
  type FrameWindowOptions,
  type TaskPayload,
} from '@fedaln/protocol';
import { ACK_TIMEOUT_MS, request, type SiteSocket } from '../run/site-socket';
import type { WorkDir } from './work-dir';

export type DownloadOptions = Pick<FrameWindowOptions, 'inFlight' | 'retries' | 'onProgress'> & {
  frameTimeoutMs?: number;
};

/**
 * The coordinator's `download:begin` answer, checked against what the task announced before any
 * memory is set aside for it: the size is the task's, frames are a positive size a socket message
 * can carry, and their count is that size's.
 */
function checkedBegin(begin: DownloadBeginAccepted, task: TaskPayload): DownloadBeginAccepted {
  const what = `download:begin of model v${task.model_version}`;
  if (begin.bytes !== task.model_bytes)
    throw new Error(`${what} announced ${begin.bytes} bytes; the task said ${task.model_bytes}`);
  const size = begin.frame_bytes;
  if (!Number.isSafeInteger(size) || size < 1 || size > SOCKET_MAX_BUFFER_BYTES)
    throw new Error(`${what} announced frames of ${size} bytes; expected 1..${SOCKET_MAX_BUFFER_BYTES}`);
  if (begin.frames !== frameCount(begin.bytes, size))
    throw new Error(`${what} announced ${begin.frames} frames for ${begin.bytes} bytes of ${size}`);
  return begin;
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
  const begin = checkedBegin(
    await request(socket, SiteEvent.downloadBegin, {
      study_id: task.study_id,
      round: task.round,
      model_sha256: task.model_sha256,
    }),
    task,
  );
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
