/**
 * Verification of release signatures (DESIGN.md "Security"). The coordinator signs the raw 32-byte
 * sha256 digest of a released weights blob with Ed25519 (RFC 8032, pure Ed25519, no prehash
 * option); sites pin the coordinator's public key at enrolment (`GET /api/keys`) and refuse a model
 * whose signature does not verify. Keys and signatures travel as standard base64 of their raw bytes.
 */
import { createPublicKey, verify } from 'node:crypto';

/** Raw Ed25519 public keys are 32 bytes, signatures 64 (RFC 8032 §5.1.5, §5.1.6). */
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** Body of `GET /api/keys`: the coordinator's release-signing key, base64 of the raw 32 bytes. */
export interface PublicKeysResponse {
  ed25519_public_key: string;
}

/** A malformed key or digest (configuration, not a forged model): `field` names the argument. */
export class SignatureInputError extends Error {
  override readonly name = 'SignatureInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Standard base64 to bytes, or null unless it is canonical base64 of exactly `length` bytes. */
function base64Bytes(text: unknown, length: number): Buffer | null {
  if (typeof text !== 'string' || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === length ? bytes : null;
}

/**
 * The raw 32-byte public key from its base64.
 *
 * @throws SignatureInputError naming `public_key` unless it is base64 of 32 bytes.
 * @example decodeEd25519PublicKey('11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=').length // 32
 */
export function decodeEd25519PublicKey(publicKeyBase64: string): Uint8Array {
  const key = base64Bytes(publicKeyBase64, ED25519_PUBLIC_KEY_BYTES);
  if (key === null)
    throw new SignatureInputError(
      `public_key ${JSON.stringify(publicKeyBase64)} is not base64 of a raw ${ED25519_PUBLIC_KEY_BYTES}-byte Ed25519 key; expected the ed25519_public_key of GET /api/keys`,
      'public_key',
    );
  return key;
}

/**
 * Ed25519 verification (RFC 8032 §5.1.7) of `signature` over `message` under a raw public key.
 * False for a signature that is not 64 bytes or does not verify.
 *
 * @example
 * // RFC 8032 §7.1 TEST 1: the empty message.
 * verifyEd25519(hex('d75a9801…511a'), new Uint8Array(0), hex('e5564300…100b')); // true
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new SignatureInputError(
      `public key has ${publicKey.length} bytes; expected ${ED25519_PUBLIC_KEY_BYTES}`,
      'public_key',
    );
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return verify(null, message, key, signature);
}

/**
 * Whether `signatureBase64` is the coordinator's Ed25519 signature over the raw 32-byte sha256
 * digest written as `sha256Hex` (the name of the weights blob). An absent, malformed or wrong
 * signature is `false`: the site refuses the model either way.
 *
 * @throws SignatureInputError for a malformed pinned key (`public_key`) or digest (`sha256`).
 * @example
 * if (!verifyDigestSignature(pinnedKey, sha256Hex(blob), release.signature))
 *   throw new Error('model signature does not verify against the pinned coordinator key; refusing it');
 */
export function verifyDigestSignature(
  publicKeyBase64: string,
  sha256Hex: string,
  signatureBase64: string | null | undefined,
): boolean {
  const key = decodeEd25519PublicKey(publicKeyBase64);
  if (!SHA256_HEX.test(sha256Hex))
    throw new SignatureInputError(
      `sha256 ${JSON.stringify(sha256Hex)} is not 64 hexadecimal digits; expected the weights blob's sha256`,
      'sha256',
    );
  const signature = base64Bytes(signatureBase64, ED25519_SIGNATURE_BYTES);
  if (signature === null) return false;
  return verifyEd25519(key, Buffer.from(sha256Hex, 'hex'), signature);
}
