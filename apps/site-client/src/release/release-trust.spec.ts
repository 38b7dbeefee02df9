import { describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PINNED_KEY_FILE, pinnedPublicKey, UntrustedModelError, verifyRelease } from './release-trust';

/** A key pair made here with node:crypto (RFC 8032 Ed25519), independent of the coordinator's signer. */
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  return {
    raw,
    signDigest: (hex: string) => sign(null, Buffer.from(hex, 'hex'), privateKey).toString('base64'),
  };
}

const blob = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('verifyRelease', () => {
  const k = keyPair();
  const release = { version: 3, weights_sha256: sha(blob), signature: k.signDigest(sha(blob)) };

  it('accepts the signed blob', () => {
    expect(() => verifyRelease(blob, release, k.raw)).not.toThrow();
  });

  it('refuses a tampered blob, an unsigned release and another key', () => {
    const tampered = Uint8Array.from(blob);
    tampered[10]! ^= 1;
    expect(() => verifyRelease(tampered, release, k.raw)).toThrow(/altered or truncated/);
    expect(() => verifyRelease(blob, { ...release, signature: null }, k.raw)).toThrow(/unsigned/);
    expect(() => verifyRelease(blob, release, keyPair().raw)).toThrow(UntrustedModelError);
    // Re-signing a tampered blob's hash needs the private key: with the published hash swapped,
    // the signature no longer matches.
    const swapped = { ...release, weights_sha256: sha(tampered) };
    expect(() => verifyRelease(tampered, swapped, k.raw)).toThrow(/does not verify/);
  });
});

describe('pinnedPublicKey', () => {
  const served = (key: string) => async () => ({
    ok: true,
    status: 200,
    json: async () => ({ ed25519_public_key: key }),
  });

  it('pins the served key at first contact and keeps it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-pin-'));
    const a = keyPair().raw;
    expect(await pinnedPublicKey(dir, 'http://c', undefined, served(a))).toBe(a);
    expect(JSON.parse(fs.readFileSync(path.join(dir, PINNED_KEY_FILE), 'utf8')).ed25519_public_key).toBe(a);
    // Later contacts use the pinned key, whatever the coordinator serves now.
    expect(await pinnedPublicKey(dir, 'http://c', undefined, served(keyPair().raw))).toBe(a);
    await expect(pinnedPublicKey(dir, 'http://c', keyPair().raw, served(a))).rejects.toThrow(
      /differs from the key pinned/,
    );
  });

  it('pins an explicit --public-key without asking the coordinator', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-pin-'));
    const b = keyPair().raw;
    const never = async () => {
      throw new Error('must not fetch');
    };
    expect(await pinnedPublicKey(dir, 'http://c', b, never)).toBe(b);
  });
});
