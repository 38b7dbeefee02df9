import type { Ack } from '../error-codes';
import type { DownloadBeginAccepted, DownloadFrameAccepted } from '../events';
import { FRAME_BYTES, frameCount, frameIndexProblem, frameRange } from './frames';

/** What `download:begin` tells a site about the blob, besides the download's id. */
export type FramedBlob = Omit<DownloadBeginAccepted, 'download_id'>;

/**
 * The serving end of a chunked download: a blob in memory handed out as numbered frames on
 * request, in any order and as often as asked (a site re-requests a frame whose ack it lost). A
 * frame is a view of the blob, not a copy. Results are {@link Ack}s ready for a socket.io ack.
 *
 * @example
 * const server = new FrameServer(await cache.get(model.sha256));
 * ack({ ok: true, download_id, ...server.describe() }); // download:begin
 * ack(server.frame(index)); // download:frame
 */
export class FrameServer {
  readonly frames: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly frameBytes: number = FRAME_BYTES,
  ) {
    this.frames = frameCount(bytes.length, frameBytes);
  }

  describe(): FramedBlob {
    return { bytes: this.bytes.length, frames: this.frames, frame_bytes: this.frameBytes };
  }

  /** Frame `index`, or a `bad_frame` refusal when there is no such frame. */
  frame(index: number): Ack<DownloadFrameAccepted> {
    const outside = frameIndexProblem(index, this.frames);
    if (outside !== null) return { ok: false, code: 'bad_frame', message: outside };
    const { start, end } = frameRange(index, this.bytes.length, this.frameBytes);
    return { ok: true, index, data: this.bytes.subarray(start, end) };
  }
}
