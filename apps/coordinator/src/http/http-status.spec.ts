import { describe, expect, it } from '@jest/globals';
import { DomainError, type DomainErrorCode } from '../domain/domain-error';
import { errorBody, httpStatusFor } from './http-status';

// RFC 9110 §15: 400 malformed/invalid request content, 401 missing or bad credentials, 403
// authenticated but not allowed, 404 no such resource, 409 conflicts with the resource's state.
const expected: Record<DomainErrorCode, number> = {
  STUDY_SPEC_INVALID: 400,
  STUDY_UNKNOWN_SITES: 400,
  BLOB_HASH_MISMATCH: 400,
  TRANSFER_BAD_FRAME: 400,
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  SITE_REVOKED: 403,
  CASES_NOT_APPROVED: 403,
  SITE_NOT_FOUND: 404,
  STUDY_NOT_FOUND: 404,
  ROUND_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  RELEASE_NOT_FOUND: 404,
  TRANSFER_NOT_FOUND: 404,
  STUDY_ILLEGAL_COMMAND: 409,
  ROUND_ILLEGAL_TRANSITION: 409,
  RELEASE_REFUSED: 409,
  ROUND_NOT_CURRENT: 409,
  ROUND_DEADLINE_PASSED: 409,
  RATE_LIMITED: 429, // RFC 6585 §4
};

describe('httpStatusFor', () => {
  it.each(Object.entries(expected))('%s → %i', (code, status) => {
    expect(httpStatusFor(code as DomainErrorCode)).toBe(status);
  });

  it('throws on a code outside the union (what assertUnreachable guards at compile time)', () => {
    expect(() => httpStatusFor('NOPE' as DomainErrorCode)).toThrow('unhandled case: "NOPE"');
  });
});

describe('errorBody', () => {
  it('carries status, code, message and details when present', () => {
    const e = new DomainError('STUDY_SPEC_INVALID', 'invalid study', {
      errors: [{ field: 'rounds', message: 'x' }],
    });
    expect(errorBody(e)).toEqual({
      statusCode: 400,
      error: 'STUDY_SPEC_INVALID',
      message: 'invalid study',
      details: { errors: [{ field: 'rounds', message: 'x' }] },
    });
    expect(errorBody(new DomainError('SITE_NOT_FOUND', 'no site'))).toEqual({
      statusCode: 404,
      error: 'SITE_NOT_FOUND',
      message: 'no site',
    });
  });
});
