import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { SecAggError } from './secagg-error';

/**
 * X25519 key agreement (RFC 7748) and the keys derived from it, as in Bonawitz et al. 2017 §4:
 * each site holds two key pairs per round, c (to encrypt the shares it sends through the
 * coordinator) and s (whose agreement with a peer seeds their pairwise mask). The shared secret is
 * never used directly: HKDF-SHA256 (RFC 5869) with the round tag as salt and the purpose as info
 * turns it into a 32-byte key, so a pair's mask seed differs every round and from its share key.
 *
 * @example
 * const a = newKeyPair(), b = newKeyPair();
 * agreedKey(a, b.publicKey, 'round-7', 'mask'); // equals agreedKey(b, a.publicKey, 'round-7', 'mask')
 */
export interface RawKeyPair {
  /** 32 bytes (RFC 7748 u-coordinate). */
  readonly publicKey: Buffer;
  /** 32 bytes (RFC 7748 scalar): what Shamir shares of an s key carry. */
  readonly privateKey: Buffer;
}

export type KeyPurpose = 'mask' | 'share';

export function newKeyPair(): RawKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { publicKey: fromB64(jwk.x as string), privateKey: fromB64(jwk.d as string) };
}

/** HKDF-SHA256(X25519(own, peer), salt = round tag, info = fedaln-secagg-<purpose>), 32 bytes. */
export function agreedKey(
  own: RawKeyPair,
  peerPublic: Uint8Array,
  roundTag: string,
  purpose: KeyPurpose,
): Buffer {
  if (peerPublic.length !== 32) {
    throw new SecAggError('bad_message', `an X25519 public key of ${peerPublic.length} bytes, expected 32`);
  }
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: toB64(own.privateKey), x: toB64(own.publicKey) },
    format: 'jwk',
  });
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: toB64(peerPublic) },
    format: 'jwk',
  });
  const shared = diffieHellman({ privateKey, publicKey });
  return Buffer.from(hkdfSync('sha256', shared, roundTag, `fedaln-secagg-${purpose}`, 32));
}

/** The public key of a 32-byte X25519 private key (to rebuild a dropped site's pair from its shares). */
export function publicKeyOf(privateKey: Uint8Array): Buffer {
  const key = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  return fromB64(createPublicKey(key).export({ format: 'jwk' }).x as string);
}

/**
 * AES-256-GCM (NIST SP 800-38D) of `plain` under `key`, bound to `aad` (who sends to whom in
 * which round): what the coordinator relays between sites and cannot read or redirect.
 * Output: 12-byte IV ‖ ciphertext ‖ 16-byte tag.
 */
export function seal(key: Uint8Array, aad: string, plain: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** The plaintext of {@link seal}, or a SecAggError('bad_message') if it was altered or not meant for `aad`. */
export function open(key: Uint8Array, aad: string, sealed: Uint8Array): Buffer {
  if (sealed.length < 28)
    throw new SecAggError('bad_message', `a sealed message of ${sealed.length} bytes, expected ≥ 28`);
  const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(data.subarray(data.length - 16));
  try {
    return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
  } catch {
    throw new SecAggError(
      'bad_message',
      `a sealed message for ${aad} failed authentication: altered, or for another site or round`,
    );
  }
}

function toB64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}
function fromB64(s: string): Buffer {
  return Buffer.from(s, 'base64url');
}
