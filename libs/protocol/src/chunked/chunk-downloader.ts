import type { Ack } from '../error-codes';
import type { DownloadFrameAccepted } from '../events';
import { ChunkReceiver, type ChunkReceiverOptions } from './chunk-receiver';
import { ChunkTransferError } from './chunk-transfer-error';
import { framesInFlight, moveFrames, type FrameWindowOptions } from './frame-window';
import type { TransferProgress } from './frames';

/**
 * Requests frame `index` and resolves with the peer's ack (a refusal stops the download); rejects on
 * a transport failure such as an ack timeout, and is then asked again.
 */
export type FetchFrame = (index: number) => Promise<Ack<DownloadFrameAccepted>>;

/** Where the blob goes and how it is fetched; `resumeFrom` and the window work as for a receiver. */
export type ChunkDownloaderOptions = Omit<ChunkReceiverOptions, 'window'> & FrameWindowOptions;

/**
 * The fetching end of a chunked download: requests frames with up to `inFlight` (default
 * `FRAMES_IN_FLIGHT`) in flight (`moveFrames`, as the upload sender does), hands the bytes to the
 * sink strictly in order and hashes them as they pass (a `ChunkReceiver`, as the coordinator
 * receives uploads), and checks the whole against the announced sha256 — nothing has to hold the
 * blob whole. A download cut off part-way resumes where it stopped: call {@link download} again
 * (with a fetch for the new download id), or, from a later session, pass the frames already in the
 * sink as `resumeFrom` and their bytes to {@link replay}.
 *
 * @example
 * const downloader = new ChunkDownloader({ totalBytes: begin.bytes, sha256, frameBytes: begin.frame_bytes,
 *   sink: (chunk, offset) => bytes.set(chunk, offset) });
 * await downloader.download((index) =>
 *   socket.timeout(30_000).emitWithAck(SiteEvent.downloadFrame, { download_id: begin.download_id, index }));
 */
export class ChunkDownloader {
  private readonly receiver: ChunkReceiver;

  constructor(private readonly options: ChunkDownloaderOptions) {
    this.receiver = new ChunkReceiver({ ...options, window: framesInFlight(options) });
  }

  /** First frame not yet in the sink: where the next {@link download} starts. */
  get nextFrame(): number {
    return this.receiver.nextFrame;
  }

  get frames(): number {
    return this.receiver.frames;
  }

  /** Feeds the bytes of the frames resumed from (0..resumeFrom) to the hash, e.g. read back from a file. */
  replay(prefix: Uint8Array): void {
    this.receiver.replay(prefix);
  }

  /**
   * Fetches the frames from {@link nextFrame} on and verifies the sha256; resolves with the final
   * progress. Rejects with a `ChunkTransferError`: a refused or malformed frame, the transport
   * failing past the retries (`nextFrame` tells where a new attempt resumes), or `sha256_mismatch`
   * (its `nextFrame` is 0: the bytes are not the announced blob).
   */
  async download(fetchFrame: FetchFrame): Promise<TransferProgress> {
    const progress = await moveFrames(
      this.options.totalBytes,
      this.receiver.nextFrame,
      async (index) => {
        const ack = await fetchFrame(index);
        if (!ack.ok) return ack;
        if (!(ack.data instanceof Uint8Array)) {
          return { ok: false, code: 'bad_frame', message: `frame ${index} is not binary` };
        }
        if (ack.index !== index) {
          return {
            ok: false,
            code: 'bad_frame',
            message: `asked for frame ${index}, got frame ${ack.index}`,
          };
        }
        return this.receiver.accept(index, ack.data);
      },
      this.options,
    );
    const done = this.receiver.finish();
    if (!done.ok) throw new ChunkTransferError(done.code, done.message, 0);
    return progress;
  }
}
