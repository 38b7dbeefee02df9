import { describe, expect, it } from '@jest/globals';
import { bearerToken } from './bearer';
import { formatAdminToken, formatEnrolmentToken, parseBearerToken } from './token-format';

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

describe('token format (token-format.ts): fa_<id>_<secret>, legacy shapes still parsed', () => {
  const id = '0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a';
  const secret = 'A'.repeat(21) + '_-' + 'z'.repeat(20); // 43 base64url characters, with _ and -
  it('a site token carries its token id before the secret', () => {
    expect(formatEnrolmentToken(id, secret)).toBe(`fa_${id}_${secret}`);
    expect(parseBearerToken(formatEnrolmentToken(id, secret))).toEqual({ kind: 'site', tokenId: id, secret });
  });
  it('an admin token is fa_admin_<secret>', () => {
    expect(parseBearerToken(formatAdminToken(secret))).toEqual({ kind: 'admin', secret });
  });
  it('parses the tokens issued before the prefix to the same row and secret', () => {
    expect(parseBearerToken(`${id}.${secret}`)).toEqual({ kind: 'site', tokenId: id, secret });
    expect(parseBearerToken(secret)).toEqual({ kind: 'admin', secret });
  });
  it.each([
    '',
    id,
    `${id}.short`,
    `not-a-uuid.${secret}`,
    `fa_${id}_${secret}x`,
    `fa_${id}_short`,
    `fa_admin_${secret.slice(1)}`,
    `fa_${id.toUpperCase()}_${secret}`,
    'f'.repeat(32),
  ])('refuses %j without looking it up', (t) => {
    expect(parseBearerToken(t)).toBeNull();
  });
});
