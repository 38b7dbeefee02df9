/**
 * Codes a coordinator sends in `error` events and failed acks. One closed list, so both sides can
 * switch over it exhaustively (STYLE.md habit 3).
 */
export const PROTOCOL_ERROR_CODES = [
  /** Handshake token missing, unknown or revoked. */
  'unauthenticated',
  /**
   * The lead revoked this site while it was connected: the request is refused and the socket closed;
   * reconnecting is refused too. Only a new enrolment (a new token from the lead) helps.
   */
  'site_revoked',
  /** The site may not do this (not its round, not its upload). */
  'forbidden',
  /** Payload failed validation; `message` names the field. */
  'bad_request',
  /** Unknown study, round, model, download or upload id. */
  'not_found',
  /** The message is for a round that is not the site's current one, or the round is in another state. */
  'wrong_round',
  /** The round deadline has passed. */
  'deadline_passed',
  /** A transfer frame has a wrong size, an index out of range or outside the window. */
  'bad_frame',
  /** The received bytes do not hash to the announced sha256. */
  'sha256_mismatch',
  /** The blob does not parse (see BlobFormatError). */
  'bad_blob',
  /** The update's tensors or shapes differ from the global model's. */
  'layout_mismatch',
  /** The update holds NaN/±∞ or values outside the aggregator's range. */
  'bad_values',
  /** The site sent this request too often; `message` says when to retry. */
  'rate_limited',
  /** A server fault; the site should retry later. */
  'internal',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/** Body of a server `error` event and of every failed ack. */
export interface ProtocolError {
  code: ProtocolErrorCode;
  message: string;
}

/**
 * Result passed to an acknowledgement callback: success with its fields, or a coded failure.
 *
 * @example
 * const ack: Ack<{ upload_id: string }> = { ok: false, code: 'wrong_round', message: 'round 3 is over' };
 */
export type Ack<T extends object = object> = ({ ok: true } & T) | ({ ok: false } & ProtocolError);

/** The callback a socket.io event handler calls once with the {@link Ack}. */
export type AckCallback<T extends object = object> = (res: Ack<T>) => void;
