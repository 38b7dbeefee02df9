import { describe, expect, it } from '@jest/globals';
import { UpdateRejected } from '@fedaln/aggregation';
import { BlobFormatError, PROTOCOL_ERROR_CODES } from '@fedaln/protocol';
import { DomainError, type DomainErrorCode } from '../domain/domain-error';
import { protocolCodeFor, SocketRefusal, toProtocolError } from './socket-error';

// Expected codes follow the meanings documented beside PROTOCOL_ERROR_CODES (libs/protocol error-codes.ts).
describe('toProtocolError (the WebSocket exception filter)', () => {
  it.each<[unknown, string]>([
    [new DomainError('FORBIDDEN', 'not your round'), 'forbidden'],
    [new DomainError('STUDY_NOT_FOUND', 'no study x'), 'not_found'],
    [new DomainError('ROUND_ILLEGAL_TRANSITION', 'round 2 is completed'), 'wrong_round'],
    [new DomainError('BLOB_HASH_MISMATCH', 'hashes to y'), 'sha256_mismatch'],
    [new UpdateRejected('non_finite', 'value NaN at index 3 is not finite', 'w'), 'bad_values'],
    [new UpdateRejected('out_of_range', 'too big', 'w'), 'bad_values'],
    [new UpdateRejected('layout_mismatch', 'is missing from the update', 'fc/bias'), 'layout_mismatch'],
    [new BlobFormatError('blob is truncated: 10 bytes'), 'bad_blob'],
    [new SocketRefusal('deadline_passed', 'round 1 closed'), 'deadline_passed'],
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
    const codes: DomainErrorCode[] = [
      'SITE_NOT_FOUND',
      'SITE_REVOKED',
      'STUDY_NOT_FOUND',
      'STUDY_SPEC_INVALID',
      'STUDY_UNKNOWN_SITES',
      'STUDY_ILLEGAL_COMMAND',
      'ROUND_NOT_FOUND',
      'ROUND_ILLEGAL_TRANSITION',
      'MODEL_NOT_FOUND',
      'BLOB_HASH_MISMATCH',
      'UNAUTHENTICATED',
      'FORBIDDEN',
    ];
    for (const c of codes) expect(PROTOCOL_ERROR_CODES).toContain(protocolCodeFor(c));
  });
});
