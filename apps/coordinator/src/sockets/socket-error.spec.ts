import { describe, expect, it } from '@jest/globals';
import { UpdateRejected } from '@fedaln/aggregation';
import { BlobFormatError, PROTOCOL_ERROR_CODES } from '@fedaln/protocol';
import { DomainError, type DomainErrorCode } from '../domain/domain-error';
import { protocolCodeFor, toProtocolError } from './socket-error';

// Expected codes follow the meanings documented beside PROTOCOL_ERROR_CODES (libs/protocol error-codes.ts).
describe('toProtocolError (the WebSocket exception filter)', () => {
  it.each<[unknown, string]>([
    [new DomainError('FORBIDDEN', 'not your round'), 'forbidden'],
    [new DomainError('CASES_NOT_APPROVED', 'n_train 200 exceeds 100'), 'forbidden'],
    [new DomainError('STUDY_NOT_FOUND', 'no study x'), 'not_found'],
    [new DomainError('ROUND_ILLEGAL_TRANSITION', 'round 2 is completed'), 'wrong_round'],
    [new DomainError('BLOB_HASH_MISMATCH', 'hashes to y'), 'sha256_mismatch'],
    [new UpdateRejected('non_finite', 'value NaN at index 3 is not finite', 'w'), 'bad_values'],
    [new UpdateRejected('out_of_range', 'too big', 'w'), 'bad_values'],
    [new UpdateRejected('layout_mismatch', 'is missing from the update', 'fc/bias'), 'layout_mismatch'],
    [new BlobFormatError('blob is truncated: 10 bytes'), 'bad_blob'],
    [new DomainError('ROUND_DEADLINE_PASSED', 'round 1 closed'), 'deadline_passed'],
    [new DomainError('ROUND_NOT_CURRENT', 'round 2 is not the current round'), 'wrong_round'],
    [new DomainError('TRANSFER_NOT_FOUND', 'no upload u1 of this site'), 'not_found'],
    [new DomainError('TRANSFER_BAD_FRAME', 'frame 9 is outside 0..3'), 'bad_frame'],
    [new DomainError('INVALID_INPUT', 'cores must be an integer'), 'bad_request'],
    [new DomainError('SITE_REVOKED', 'site s1 has been revoked by the lead'), 'site_revoked'],
    [new DomainError('RATE_LIMITED', 'retry in 6 s'), 'rate_limited'],
  ])('%s → %s, keeping the reason', (error, code) => {
    const mapped = toProtocolError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toContain((error as Error).message);
  });

  it('does not leak the text of an unexpected error', () => {
    expect(toProtocolError(new Error('ECONNRESET at db.internal:5432'))).toEqual({
      code: 'internal',
      message: 'internal coordinator error; retry later',
    });
  });

  it('maps every domain code to a protocol code', () => {
    // A Record over the union: adding a DomainErrorCode without listing it here fails to compile.
    const codes: Record<DomainErrorCode, true> = {
      SITE_NOT_FOUND: true,
      SITE_REVOKED: true,
      STUDY_NOT_FOUND: true,
      STUDY_SPEC_INVALID: true,
      STUDY_UNKNOWN_SITES: true,
      STUDY_ILLEGAL_COMMAND: true,
      ROUND_NOT_FOUND: true,
      ROUND_ILLEGAL_TRANSITION: true,
      ROUND_NOT_CURRENT: true,
      ROUND_DEADLINE_PASSED: true,
      MODEL_NOT_FOUND: true,
      RELEASE_NOT_FOUND: true,
      RELEASE_REFUSED: true,
      BLOB_HASH_MISMATCH: true,
      TRANSFER_NOT_FOUND: true,
      TRANSFER_BAD_FRAME: true,
      INVALID_INPUT: true,
      UNAUTHENTICATED: true,
      RATE_LIMITED: true,
      FORBIDDEN: true,
      CASES_NOT_APPROVED: true,
    };
    for (const c of Object.keys(codes) as DomainErrorCode[])
      expect(PROTOCOL_ERROR_CODES).toContain(protocolCodeFor(c));
  });
});
