import { assertUnreachable, type DomainErrorCode } from '../domain/domain-error';

/**
 * The one mapping from domain error codes to HTTP status codes (RFC 9110 §15).
 *
 * @example
 * httpStatusFor('STUDY_NOT_FOUND'); // 404
 */
export function httpStatusFor(code: DomainErrorCode): number {
  switch (code) {
    case 'STUDY_SPEC_INVALID':
    case 'STUDY_UNKNOWN_SITES':
    case 'BLOB_HASH_MISMATCH':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
    case 'SITE_REVOKED':
      return 403;
    case 'SITE_NOT_FOUND':
    case 'STUDY_NOT_FOUND':
    case 'ROUND_NOT_FOUND':
    case 'MODEL_NOT_FOUND':
      return 404;
    case 'STUDY_ILLEGAL_COMMAND':
    case 'ROUND_ILLEGAL_TRANSITION':
      return 409;
    default:
      return assertUnreachable(code);
  }
}
