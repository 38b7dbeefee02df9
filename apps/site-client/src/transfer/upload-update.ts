import {
  ChunkSender,
  frameCount,
  FRAMES_IN_FLIGHT,
  SiteEvent,
  type TransferProgress,
} from '@fedaln/protocol';
import { request, type SiteSocket } from '../run/site-socket';
import { advance, type UploadState } from './upload-state';
import type { WorkDir } from './work-dir';

export interface UploadOptions {
  /** Frames awaiting their ack at once; default {@link FRAMES_IN_FLIGHT}, the coordinator's window. */
  inFlight?: number;
  frameTimeoutMs?: number;
  onProgress?: (p: TransferProgress) => void;
}

/**
 * Uploads a saved update: `upload:begin` tells where the coordinator's copy ends (0 for a new
 * upload), `ChunkSender` sends the rest with several frames in flight, each acknowledged frame
 * advances the saved state, and `upload:end` has the coordinator verify and count it. The saved
 * upload is removed only once the coordinator accepted it.
 *
 * @example await uploadUpdate(socket, work, pending.state, pending.blob);
 */
export async function uploadUpdate(
  socket: SiteSocket,
  work: WorkDir,
  initial: UploadState,
  blob: Uint8Array,
  options: UploadOptions = {},
): Promise<{ sha256: string }> {
  const begin = await request(socket, SiteEvent.uploadBegin, {
    study_id: initial.study_id,
    round: initial.round,
    sha256: initial.sha256,
    bytes: initial.bytes,
    n_train: initial.n_train,
  });
  let state: UploadState = { ...initial, frames: frameCount(blob.length, begin.frame_bytes), next_frame: 0 };
  state = advance(state, begin.next_frame);
  // Saves are chained so two acks never write the state file at once.
  let saving = work.saveUploadState(state);
  const sender = new ChunkSender(
    blob,
    (index, data) => {
      const timed = socket.timeout(options.frameTimeoutMs ?? 60_000);
      return timed.emitWithAck(SiteEvent.uploadFrame, { upload_id: begin.upload_id, index, data });
    },
    {
      frameBytes: begin.frame_bytes,
      inFlight: options.inFlight ?? FRAMES_IN_FLIGHT,
      onProgress: (p) => {
        state = advance(state, p.nextFrame);
        const snapshot = state;
        saving = saving.then(() => work.saveUploadState(snapshot));
        options.onProgress?.(p);
      },
    },
  );
  try {
    await sender.send(begin.next_frame);
  } finally {
    await saving;
  }
  const end = await request(socket, SiteEvent.uploadEnd, { upload_id: begin.upload_id });
  await work.dropUpload(initial.study_id, initial.round);
  return { sha256: end.sha256 };
}
