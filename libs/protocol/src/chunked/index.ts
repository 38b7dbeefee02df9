export { ChunkDownloader, type ChunkDownloaderOptions, type FetchFrame } from './chunk-downloader';
export {
  ChunkReceiver,
  type ChunkReceiverOptions,
  type ChunkSink,
  type FrameAccepted,
} from './chunk-receiver';
export { ChunkSender, type ChunkSenderOptions, type SendFrame } from './chunk-sender';
export { ChunkTransferError } from './chunk-transfer-error';
export { FrameServer, type FramedBlob } from './frame-server';
export { moveFrames, type FrameAttempt, type FrameWindowOptions } from './frame-window';
export {
  FRAME_BYTES,
  FRAMES_IN_FLIGHT,
  SOCKET_MAX_BUFFER_BYTES,
  frameCount,
  frameIndexProblem,
  frameRange,
  type TransferProgress,
} from './frames';
export { NO_NATIVE_MASKING_WARNING, nativeFrameMasking } from './native-masking';
