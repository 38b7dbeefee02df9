import { SOCKET_MAX_BUFFER_BYTES } from '@fedaln/protocol';

/**
 * Options of the one socket.io server both gateways share (Nest creates it with the first gateway's
 * options, so both pass the same): a 1 MiB frame plus its envelope fits a message (socket.io's
 * default 1e6-byte limit is below one frame), and frames are not deflated (weights hardly compress).
 */
export const SOCKET_SERVER_OPTIONS = {
  maxHttpBufferSize: SOCKET_MAX_BUFFER_BYTES,
  perMessageDeflate: false,
} as const;
