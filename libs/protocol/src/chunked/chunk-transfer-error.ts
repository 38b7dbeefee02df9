import type { ProtocolErrorCode } from '../error-codes';

/**
 * A transfer stopped: the peer refused a frame (`code` from its ack) or the transport kept failing
 * (`transport`). `nextFrame` is the first frame not acknowledged contiguously: resume there, or ask
 * the receiver (`upload:begin` answers with `next_frame`).
 */
export class ChunkTransferError extends Error {
  override readonly name = 'ChunkTransferError';
  constructor(
    readonly code: ProtocolErrorCode | 'transport',
    message: string,
    readonly nextFrame: number,
  ) {
    super(message);
  }
}
