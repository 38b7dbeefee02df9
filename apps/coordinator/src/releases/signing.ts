/**
 * The coordinator's release-signing key (DESIGN.md "Security"): an Ed25519 key pair made at first
 * start and kept in the data directory, used to sign each release's canonical manifest (issue 14;
 * `@fedaln/protocol` release-manifest.ts) and, as releases did before manifests, the raw 32-byte
 * sha256 digest of its weights blob. Sites pin the public key at enrolment (`GET /api/keys`) and check
 * signatures with `verifyManifestSignature` (and, for older releases, `verifyDigestSignature`).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the key pair lives under the data directory. */
export const SIGNING_KEY_DIR = 'keys';
export const SIGNING_PRIVATE_KEY_FILE = 'release-ed25519.pem';
export const SIGNING_PUBLIC_KEY_FILE = 'release-ed25519.pub.pem';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** A key file that cannot be used; the message names the file and what to do. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

export class ReleaseSigner {
  private readonly publicKey: KeyObject;

  private constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 private key');
    this.publicKey = createPublicKey(privateKey);
  }

  /**
   * The signer whose private key is `<dataDir>/keys/release-ed25519.pem`, creating the key pair
   * (PKCS#8 and SPKI PEM; private key mode 0600, directory 0700) on first start. An existing key
   * is never replaced: sites have pinned its public half. Like OpenSSH, refuses a private key file
   * that group or others may read.
   *
   * @throws SigningKeyError for an unreadable, malformed, non-Ed25519 or too-open key file.
   * @example
   * const signer = ReleaseSigner.loadOrCreate(config.dataDir);
   * signer.publicKeyRaw(); // base64 of 32 bytes, for GET /api/keys
   */
  static loadOrCreate(dataDir: string): ReleaseSigner {
    const dir = path.join(dataDir, SIGNING_KEY_DIR);
    const file = path.join(dir, SIGNING_PRIVATE_KEY_FILE);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      try {
        // 'wx': if another process made the key in between, keep theirs and read it below.
        fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
        const signer = new ReleaseSigner(privateKey);
        fs.writeFileSync(path.join(dir, SIGNING_PUBLIC_KEY_FILE), signer.publicKeyPem(), { mode: 0o644 });
        return signer;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new SigningKeyError(
        `${file} has mode ${mode.toString(8)}; the release-signing private key must be readable by its owner only (chmod 600 ${file})`,
        file,
      );
    return ReleaseSigner.fromPrivateKeyPem(fs.readFileSync(file, 'utf8'), file);
  }

  /**
   * A signer from a PKCS#8 PEM Ed25519 private key.
   *
   * @throws SigningKeyError naming `source` for a malformed or non-Ed25519 key.
   * @example ReleaseSigner.fromPrivateKeyPem(pemText).publicKeyRaw()
   */
  static fromPrivateKeyPem(pem: string, source = 'private key PEM'): ReleaseSigner {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (err) {
      throw new SigningKeyError(
        `${source} is not a PEM private key (${(err as Error).message}); restore the key file from backup — a new key would not match the key the sites pinned`,
        source,
      );
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new SigningKeyError(`${source} holds a ${key.asymmetricKeyType} key; expected Ed25519`, source);
    return new ReleaseSigner(key);
  }

  /**
   * Ed25519 signature (RFC 8032) over the raw 32 bytes of a sha256 digest given as hex, in base64.
   *
   * @throws TypeError unless `sha256Hex` is 64 hexadecimal digits.
   * @example signer.signDigest(blobSha256) // 88 base64 characters (64 bytes)
   */
  signDigest(sha256Hex: string): string {
    if (!SHA256_HEX.test(sha256Hex))
      throw new TypeError(
        `sha256 ${JSON.stringify(sha256Hex)} is not 64 hexadecimal digits; expected a weights blob's sha256`,
      );
    return sign(null, Buffer.from(sha256Hex, 'hex'), this.privateKey).toString('base64');
  }

  /**
   * Ed25519 signature (RFC 8032) over the UTF-8 bytes of a release manifest's canonical text, in base64.
   *
   * @example signer.signManifest(encodeReleaseManifest(manifest)) // 88 base64 characters (64 bytes)
   */
  signManifest(canonicalText: string): string {
    return sign(null, Buffer.from(canonicalText, 'utf8'), this.privateKey).toString('base64');
  }

  /**
   * The public key as base64 of its raw 32 bytes (the JWK `x`, RFC 8037), the body of `GET /api/keys`.
   *
   * @example signer.publicKeyRaw() // '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' for RFC 8032 TEST 1's key
   */
  publicKeyRaw(): string {
    const { x } = this.publicKey.export({ format: 'jwk' });
    return Buffer.from(x!, 'base64url').toString('base64');
  }

  /** The public key as SPKI PEM, for operators. @example signer.publicKeyPem().startsWith('-----BEGIN PUBLIC KEY-----') */
  publicKeyPem(): string {
    return this.publicKey.export({ format: 'pem', type: 'spki' }) as string;
  }
}
