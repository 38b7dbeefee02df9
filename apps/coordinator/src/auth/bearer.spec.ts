import { describe, expect, it } from '@jest/globals';
import { formatEnrolmentToken, parseEnrolmentToken } from './enrolment-token';
import { bearerToken } from './bearer';

describe('bearerToken (RFC 6750 §2.1: "Bearer" 1*SP b64token, scheme case-insensitive)', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('enrolment tokens', () => {
  const id = '0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a';
  it('round-trips id and secret', () => {
    const secret = 'A'.repeat(43);
    expect(parseEnrolmentToken(formatEnrolmentToken(id, secret))).toEqual({ tokenId: id, secret });
  });
  it.each(['', `${id}`, `${id}.short`, `not-a-uuid.${'A'.repeat(43)}`])('rejects %j', (t) => {
    expect(parseEnrolmentToken(t)).toBeNull();
  });
});
