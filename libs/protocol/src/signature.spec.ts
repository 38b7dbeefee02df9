import { describe, expect, it } from '@jest/globals';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import {
  decodeEd25519PublicKey,
  SignatureInputError,
  verifyDigestSignature,
  verifyEd25519,
} from './signature';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// RFC 8032 §7.1, "Test Vectors for Ed25519", TEST 1 (empty message) and TEST 2 (one byte 0x72).
const TEST1 = Object.freeze({
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
});
const TEST2 = Object.freeze({
  public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature:
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
});

/** The RFC's TEST 1 secret key as a node:crypto private key (PKCS#8 = fixed prefix + 32-byte seed, RFC 8410). */
const test1Key = createPrivateKey({
  key: Buffer.concat([hex('302e020100300506032b657004220420'), hex(TEST1.secret)]),
  format: 'der',
  type: 'pkcs8',
});
const digestOf = (text: string): string => createHash('sha256').update(text).digest('hex');
/** A signature over a digest made by node:crypto's signer, not by our code. */
const signDigest = (sha256Hex: string): string => sign(null, hex(sha256Hex), test1Key).toString('base64');
const test1PublicBase64 = hex(TEST1.public).toString('base64');

describe('verifyEd25519 against RFC 8032 test vectors', () => {
  it.each([
    ['TEST 1', TEST1],
    ['TEST 2', TEST2],
  ])('%s verifies', (_name, v) => {
    expect(verifyEd25519(hex(v.public), hex(v.message), hex(v.signature))).toBe(true);
  });

  it('a flipped bit in the signature, the message or the key fails', () => {
    const sig = hex(TEST2.signature);
    sig[10] = sig[10]! ^ 1;
    expect(verifyEd25519(hex(TEST2.public), hex(TEST2.message), sig)).toBe(false);
    expect(verifyEd25519(hex(TEST2.public), hex('73'), hex(TEST2.signature))).toBe(false);
    // TEST 1's signature is not TEST 2's key's.
    expect(verifyEd25519(hex(TEST2.public), hex(TEST1.message), hex(TEST1.signature))).toBe(false);
  });

  it('a signature of the wrong length is false, a key of the wrong length an input error', () => {
    expect(verifyEd25519(hex(TEST1.public), hex(''), hex(TEST1.signature).subarray(0, 63))).toBe(false);
    expect(() => verifyEd25519(hex(TEST1.public).subarray(0, 31), hex(''), hex(TEST1.signature))).toThrow(
      SignatureInputError,
    );
  });
});

describe('verifyDigestSignature', () => {
  const digest = digestOf('weights blob v3');

  it('accepts the signature over the raw 32-byte digest, in either hex case', () => {
    const signature = signDigest(digest);
    expect(verifyDigestSignature(test1PublicBase64, digest, signature)).toBe(true);
    expect(verifyDigestSignature(test1PublicBase64, digest.toUpperCase(), signature)).toBe(true);
  });

  it('refuses a tampered model (another digest), a signature over the hex text, and an unsigned one', () => {
    const signature = signDigest(digest);
    expect(verifyDigestSignature(test1PublicBase64, digestOf('weights blob v3 tampered'), signature)).toBe(
      false,
    );
    const overText = sign(null, Buffer.from(digest, 'utf8'), test1Key).toString('base64');
    expect(verifyDigestSignature(test1PublicBase64, digest, overText)).toBe(false);
    for (const missing of [null, undefined, '', 'not base64!', Buffer.alloc(63).toString('base64')]) {
      expect(verifyDigestSignature(test1PublicBase64, digest, missing)).toBe(false);
    }
  });

  it('refuses a signature by another key', () => {
    const otherPublic = hex(TEST2.public).toString('base64');
    expect(verifyDigestSignature(otherPublic, digest, signDigest(digest))).toBe(false);
  });

  it('names a malformed pinned key or digest', () => {
    expect(() => verifyDigestSignature('AAAA', digest, signDigest(digest))).toThrow(
      /public_key "AAAA" is not base64 of a raw 32-byte Ed25519 key/,
    );
    expect(() => verifyDigestSignature(test1PublicBase64, 'abc', signDigest(digest))).toThrow(
      /sha256 "abc" is not 64 hexadecimal digits/,
    );
  });

  it('decodes the RFC public key from base64', () => {
    expect(Buffer.from(decodeEd25519PublicKey(test1PublicBase64)).toString('hex')).toBe(TEST1.public);
  });
});
