import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
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
 * Secrets that verified lately, so a site or the lead calling again costs no second scrypt: keyed by
 * SHA-256 of (salt, hash, secret) — a changed or removed stored hash misses, and the secret itself is
 * not kept — for {@link VERIFIED_TTL_MS}, at most {@link VERIFIED_MAX} entries (oldest dropped). Only
 * successes enter, so guesses cannot grow it. Revocation is unaffected: a revoked token's row is not
 * found, so its hash is never checked.
 */
const VERIFIED_TTL_MS = 10 * 60_000;
const VERIFIED_MAX = 1024;
const verified = new Map<string, number>();

function verifiedKey(secret: string, stored: SecretHash): string {
  return createHash('sha256')
    .update(stored.salt)
    .update('\0')
    .update(stored.hash)
    .update('\0')
    .update(secret)
    .digest('base64');
}

/**
 * Recomputes the hash and compares in constant time, so timing reveals nothing about the stored hash;
 * a secret that verified in the last 10 minutes is not hashed again.
 *
 * @example
 * if (!(await verifySecret(presented, stored))) throw new DomainError('UNAUTHENTICATED', '…');
 */
export async function verifySecret(secret: string, stored: SecretHash, now = Date.now()): Promise<boolean> {
  const cacheKey = verifiedKey(secret, stored);
  const until = verified.get(cacheKey);
  if (until !== undefined && until > now) return true;
  verified.delete(cacheKey);
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(secret, Buffer.from(stored.salt, 'base64'));
  const ok = expected.length === key.length && timingSafeEqual(key, expected);
  if (ok) {
    verified.set(cacheKey, now + VERIFIED_TTL_MS);
    for (const oldest of verified.keys()) {
      if (verified.size <= VERIFIED_MAX) break;
      verified.delete(oldest);
    }
  }
  return ok;
}

/** A new random token: 32 bytes as base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
