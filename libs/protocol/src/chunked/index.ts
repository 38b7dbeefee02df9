export {
  ChunkReceiver,
  type ChunkReceiverOptions,
  type ChunkSink,
  type FrameAccepted,
} from './chunk-receiver';
export { ChunkSender, type ChunkSenderOptions, type SendFrame } from './chunk-sender';
export { ChunkTransferError } from './chunk-transfer-error';
export {
  FRAME_BYTES,
  FRAMES_IN_FLIGHT,
  SOCKET_MAX_BUFFER_BYTES,
  frameCount,
  frameRange,
  type TransferProgress,
} from './frames';
export { NO_NATIVE_MASKING_WARNING, nativeFrameMasking } from './native-masking';
