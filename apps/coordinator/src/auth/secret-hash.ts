import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { SecretHash } from '../domain/records';

/**
 * scrypt with Node's defaults (N = 16384, r = 8, p = 1; RFC 7914) over a 16-byte random salt,
 * giving a 32-byte key. Tokens are 256-bit random, so the cost guards a stolen database, not
 * guessing.
 */
const KEY_BYTES = 32;

/**
 * scrypts run at once, at most. Each holds a thread of libuv's pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise) for ~40 ms, and that pool also opens and reads files — the
 * dashboard's, the blobs' — so a burst of token checks must not take all of it: the rest wait here,
 * in order. (`npm run bench -- auth`: with every scrypt in the pool at once, 20 wrong tokens held the
 * dashboard's p50 at ~0.8 s.)
 */
const MAX_CONCURRENT_SCRYPTS = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function derive(secret: string, salt: Buffer): Promise<Buffer> {
  if (running >= MAX_CONCURRENT_SCRYPTS) await new Promise<void>((go) => waiting.push(go));
  running++;
  try {
    return await new Promise<Buffer>((resolve, reject) =>
      scrypt(secret, salt, KEY_BYTES, (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * @example
 * const stored = await hashSecret(token); // { salt: 'base64…', hash: 'base64…' }
 */
export async function hashSecret(secret: string): Promise<SecretHash> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt);
  return { salt: salt.toString('base64'), hash: key.toString('base64') };
}

/**
 * Recomputes the hash and compares in constant time, so timing reveals nothing about the stored hash.
 *
 * @example
 * if (!(await verifySecret(presented, stored))) throw new DomainError('UNAUTHENTICATED', '…');
 */
export async function verifySecret(secret: string, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(secret, Buffer.from(stored.salt, 'base64'));
  return expected.length === key.length && timingSafeEqual(key, expected);
}

/** A new random token: 32 bytes as base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
