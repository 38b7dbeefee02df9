import { describe, expect, it } from '@jest/globals';
import { scryptSync } from 'node:crypto';
import { hashSecret, newSecret, verifySecret } from './secret-hash';

describe('secret hashing', () => {
  it('stores scrypt(secret, salt) per RFC 7914 with Node defaults, never the secret', async () => {
    const stored = await hashSecret('correct horse battery staple');
    // Reference: Node's own synchronous scrypt with the same salt and length.
    const reference = scryptSync('correct horse battery staple', Buffer.from(stored.salt, 'base64'), 32);
    expect(stored.hash).toBe(reference.toString('base64'));
    expect(JSON.stringify(stored)).not.toContain('horse');
  });

  it('salts: the same secret hashes differently twice', async () => {
    const [a, b] = await Promise.all([hashSecret('x'), hashSecret('x')]);
    expect(a.hash).not.toBe(b.hash);
  });

  it('verifies the right secret and rejects others', async () => {
    const secret = newSecret();
    const stored = await hashSecret(secret);
    await expect(verifySecret(secret, stored)).resolves.toBe(true);
    await expect(verifySecret(secret + 'x', stored)).resolves.toBe(false);
    await expect(verifySecret(secret, { salt: stored.salt, hash: 'c2hvcnQ=' })).resolves.toBe(false);
  });

  it('makes 256-bit base64url tokens', () => {
    expect(newSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
