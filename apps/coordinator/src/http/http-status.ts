import { assertUnreachable, type DomainError, type DomainErrorCode } from '../domain/domain-error';

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
    case 'TRANSFER_BAD_FRAME':
    case 'INVALID_INPUT':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
    case 'SITE_REVOKED':
    case 'CASES_NOT_APPROVED':
      return 403;
    case 'SITE_NOT_FOUND':
    case 'STUDY_NOT_FOUND':
    case 'ROUND_NOT_FOUND':
    case 'MODEL_NOT_FOUND':
    case 'RELEASE_NOT_FOUND':
    case 'TRANSFER_NOT_FOUND':
      return 404;
    case 'RATE_LIMITED':
      return 429;
    case 'STUDY_ILLEGAL_COMMAND':
    case 'ROUND_ILLEGAL_TRANSITION':
    case 'RELEASE_REFUSED':
    case 'ROUND_NOT_CURRENT':
    case 'ROUND_DEADLINE_PASSED':
      return 409;
    default:
      return assertUnreachable(code);
  }
}

export interface ErrorBody {
  readonly statusCode: number;
  /** The domain error code, so clients branch on it rather than on the message. */
  readonly error: DomainErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The HTTP response for a domain error (used by `DomainErrorFilter`).
 *
 * @example
 * errorBody(new DomainError('SITE_NOT_FOUND', 'no site with id x'));
 * // { statusCode: 404, error: 'SITE_NOT_FOUND', message: 'no site with id x' }
 */
export function errorBody(e: DomainError): ErrorBody {
  const base = { statusCode: httpStatusFor(e.code), error: e.code, message: e.message };
  return e.details ? { ...base, details: e.details } : base;
}
