import { UpdateRejected, type UpdateRejectedCode } from '@fedaln/aggregation';
import { BlobFormatError, type ProtocolError, type ProtocolErrorCode } from '@fedaln/protocol';
import { assertUnreachable, DomainError, type DomainErrorCode } from '../domain/domain-error';

/** The one mapping from domain error codes to socket protocol codes (STYLE.md habit 3). */
export function protocolCodeFor(code: DomainErrorCode): ProtocolErrorCode {
  switch (code) {
    case 'STUDY_SPEC_INVALID':
    case 'STUDY_UNKNOWN_SITES':
    case 'INVALID_INPUT':
    case 'RELEASE_REFUSED':
      return 'bad_request';
    case 'BLOB_HASH_MISMATCH':
      return 'sha256_mismatch';
    case 'UNAUTHENTICATED':
      return 'unauthenticated';
    case 'SITE_REVOKED':
      return 'site_revoked';
    case 'RATE_LIMITED':
      return 'rate_limited';
    case 'FORBIDDEN':
    case 'CASES_NOT_APPROVED':
      return 'forbidden';
    case 'SITE_NOT_FOUND':
    case 'STUDY_NOT_FOUND':
    case 'ROUND_NOT_FOUND':
    case 'MODEL_NOT_FOUND':
    case 'RELEASE_NOT_FOUND':
    case 'TRANSFER_NOT_FOUND':
      return 'not_found';
    case 'STUDY_ILLEGAL_COMMAND':
    case 'ROUND_ILLEGAL_TRANSITION':
    case 'ROUND_NOT_CURRENT':
      return 'wrong_round';
    case 'ROUND_DEADLINE_PASSED':
      return 'deadline_passed';
    case 'TRANSFER_BAD_FRAME':
      return 'bad_frame';
    default:
      return assertUnreachable(code);
  }
}

/** Aggregator refusals: a wrong tensor set is a layout problem, everything else is about values. */
export function protocolCodeForRejection(code: UpdateRejectedCode): ProtocolErrorCode {
  switch (code) {
    case 'layout_mismatch':
      return 'layout_mismatch';
    case 'non_finite':
    case 'out_of_range':
      return 'bad_values';
    case 'bad_weight':
      return 'bad_request';
    case 'too_many_updates':
      return 'forbidden';
    default:
      return assertUnreachable(code);
  }
}

/**
 * Turns anything a handler throws into the `{ code, message }` a failed ack carries. Unknown
 * errors become `internal` without leaking their text.
 *
 * @example
 * toProtocolError(new DomainError('FORBIDDEN', 'not your round')); // { code: 'forbidden', message: 'not your round' }
 */
export function toProtocolError(error: unknown): ProtocolError {
  if (error instanceof DomainError) return { code: protocolCodeFor(error.code), message: error.message };
  if (error instanceof UpdateRejected) {
    return { code: protocolCodeForRejection(error.code), message: `update rejected: ${error.message}` };
  }
  if (error instanceof BlobFormatError) return { code: 'bad_blob', message: `bad blob: ${error.message}` };
  return { code: 'internal', message: 'internal coordinator error; retry later' };
}

/**
 * A refused socket.io handshake (a middleware's `next(error)`): the client's `connect_error` gets
 * `<code>: <message>` and `data.code`, e.g. `unauthenticated: wrong admin token` or
 * `rate_limited: too many failed authentications from …; retry in 3 s …`.
 *
 * @example
 * next(handshakeRefusal(new DomainError('UNAUTHENTICATED', 'wrong admin token')));
 */
export function handshakeRefusal(error: unknown): Error & { data: { code: string } } {
  const { code, message } = toProtocolError(error);
  return Object.assign(new Error(`${code}: ${message}`), { data: { code } });
}
