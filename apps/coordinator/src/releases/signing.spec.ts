import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { verifyDigestSignature } from '@fedaln/protocol';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ReleaseSigner,
  SIGNING_KEY_DIR,
  SIGNING_PRIVATE_KEY_FILE,
  SIGNING_PUBLIC_KEY_FILE,
  SigningKeyError,
} from './signing';

// RFC 8032 §7.1 TEST 1: secret key 9d61b19d…7f60 has public key d75a9801…511a.
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const rfcPem = (): string =>
  createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.from(RFC_SECRET, 'hex'),
    ]),
    format: 'der',
    type: 'pkcs8',
  }).export({ format: 'pem', type: 'pkcs8' }) as string;
const digest = createHash('sha256').update('global model v7').digest('hex');

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-signing-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('ReleaseSigner', () => {
  it('the RFC 8032 TEST 1 secret key gives the RFC public key, raw base64', () => {
    const signer = ReleaseSigner.fromPrivateKeyPem(rfcPem());
    expect(Buffer.from(signer.publicKeyRaw(), 'base64').toString('hex')).toBe(RFC_PUBLIC);
  });

  it('signs the raw digest: the protocol verifier accepts it and refuses a tampered digest', () => {
    const signer = ReleaseSigner.fromPrivateKeyPem(rfcPem());
    const signature = signer.signDigest(digest);
    expect(Buffer.from(signature, 'base64')).toHaveLength(64);
    expect(verifyDigestSignature(signer.publicKeyRaw(), digest, signature)).toBe(true);
    const tampered = createHash('sha256').update('global model v7!').digest('hex');
    expect(verifyDigestSignature(signer.publicKeyRaw(), tampered, signature)).toBe(false);
    // Ed25519 is deterministic (RFC 8032 §5.1.6): the same digest, the same signature.
    expect(signer.signDigest(digest)).toBe(signature);
    expect(() => signer.signDigest('xyz')).toThrow(/sha256 "xyz" is not 64 hexadecimal digits/);
  });

  it('creates the key pair once, private key 0600, and loads the same key afterwards', () => {
    const first = ReleaseSigner.loadOrCreate(dataDir);
    const file = path.join(dataDir, SIGNING_KEY_DIR, SIGNING_PRIVATE_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dataDir, SIGNING_KEY_DIR, SIGNING_PUBLIC_KEY_FILE), 'utf8')).toBe(
      first.publicKeyPem(),
    );
    const again = ReleaseSigner.loadOrCreate(dataDir);
    expect(again.publicKeyRaw()).toBe(first.publicKeyRaw());
    expect(verifyDigestSignature(first.publicKeyRaw(), digest, again.signDigest(digest))).toBe(true);
  });

  it('keeps an existing key (sites pinned it)', () => {
    fs.mkdirSync(path.join(dataDir, SIGNING_KEY_DIR));
    fs.writeFileSync(path.join(dataDir, SIGNING_KEY_DIR, SIGNING_PRIVATE_KEY_FILE), rfcPem(), {
      mode: 0o600,
    });
    expect(Buffer.from(ReleaseSigner.loadOrCreate(dataDir).publicKeyRaw(), 'base64').toString('hex')).toBe(
      RFC_PUBLIC,
    );
  });

  it('refuses a private key others may read, a corrupt file and a non-Ed25519 key', () => {
    const dir = path.join(dataDir, SIGNING_KEY_DIR);
    const file = path.join(dir, SIGNING_PRIVATE_KEY_FILE);
    fs.mkdirSync(dir);
    fs.writeFileSync(file, rfcPem(), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(() => ReleaseSigner.loadOrCreate(dataDir)).toThrow(/has mode 644.*chmod 600/);
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, 'not a key');
    expect(() => ReleaseSigner.loadOrCreate(dataDir)).toThrow(SigningKeyError);
    expect(() => ReleaseSigner.loadOrCreate(dataDir)).toThrow(
      /is not a PEM private key.*restore the key file/,
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    expect(() => ReleaseSigner.loadOrCreate(dataDir)).toThrow(/holds a ec key; expected Ed25519/);
  });
});
