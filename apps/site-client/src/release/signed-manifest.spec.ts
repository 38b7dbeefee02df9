import { describe, expect, it } from '@jest/globals';
import { encodeReleaseManifest, RELEASE_MANIFEST_FORMAT, type ReleaseManifest } from '@fedaln/protocol';
import { generateKeyPairSync, sign } from 'node:crypto';
import { UntrustedModelError } from './release-trust';
import { acceptSignedManifest } from './signed-manifest';

/** A key pair made here with node:crypto (RFC 8032 Ed25519), independent of the coordinator's signer. */
function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64'),
    sign: (text: string) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
}

const MANIFEST: ReleaseManifest = Object.freeze({
  format: RELEASE_MANIFEST_FORMAT,
  study_id: 'study-a',
  round: 2,
  version: 5,
  verdict: 'pass',
  override_reason: null,
  arch: 'densenet-tiny',
  input_size: 32,
  weights_sha256: 'ab'.repeat(32),
  created_at: '2026-12-04T17:00:00.000Z',
  previous_manifest_sha256: null,
});

describe('acceptSignedManifest', () => {
  const k = keyPair();
  const signed = (m: ReleaseManifest, signer = k) => {
    const manifest = encodeReleaseManifest(m);
    return { manifest, signature: signer.sign(manifest) };
  };

  it('accepts a passing release and an override with its reason', () => {
    expect(acceptSignedManifest(signed(MANIFEST), k.raw, 'release v5')).toEqual(MANIFEST);
    const override = {
      ...MANIFEST,
      verdict: 'fail' as const,
      override_reason: 'small pilot, supervised use only',
    };
    expect(acceptSignedManifest(signed(override), k.raw, 'release v5').override_reason).toBe(
      override.override_reason,
    );
  });

  it('refuses a missing manifest, another key, an altered field and a failed verdict without a reason', () => {
    const refuse = (s: Parameters<typeof acceptSignedManifest>[0], message: RegExp) =>
      expect(() => acceptSignedManifest(s, k.raw, 'release v5')).toThrow(
        expect.objectContaining({ name: UntrustedModelError.name, message: expect.stringMatching(message) }),
      );
    refuse(null, /release v5 has no signed release manifest/);
    refuse({ manifest: encodeReleaseManifest(MANIFEST) }, /has no signed release manifest/);
    refuse(signed(MANIFEST, keyPair()), /signature does not verify against the pinned coordinator key/);
    const good = signed(MANIFEST);
    refuse({ ...good, manifest: good.manifest.replace('"version":5', '"version":6') }, /does not verify/);
    // Signed, but not canonical (a coordinator must sign the canonical text): refused before use.
    const loose = JSON.stringify(MANIFEST);
    refuse({ manifest: loose, signature: k.sign(loose) }, /not in canonical form/);
    refuse(
      signed({ ...MANIFEST, verdict: 'fail' }),
      /failed the release policy and carries no override reason/,
    );
  });
});
