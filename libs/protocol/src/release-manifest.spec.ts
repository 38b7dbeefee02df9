import { describe, expect, it } from '@jest/globals';
import { createPrivateKey, sign } from 'node:crypto';
import {
  canonicalJson,
  encodeReleaseManifest,
  parseReleaseManifest,
  RELEASE_MANIFEST_FORMAT,
  ReleaseManifestError,
  releaseManifestSha256,
  verifyManifestSignature,
  type ReleaseManifest,
} from './release-manifest';

const MANIFEST: ReleaseManifest = Object.freeze({
  format: RELEASE_MANIFEST_FORMAT,
  study_id: '3f1c6a52-9b7e-4d0a-8c21-5e6f7a8b9c0d',
  round: 3,
  version: 12,
  verdict: 'fail',
  override_reason: 'AUC 0.71 at site B: "small test set"\n(n=40) — accepted',
  arch: 'densenet-tiny',
  input_size: 32,
  weights_sha256: 'ab'.repeat(32),
  created_at: '2026-12-04T17:00:00.000Z',
  previous_manifest_sha256: 'cd'.repeat(32),
});

// Reference: Python 3.11.7, json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// of the same fields (which is RFC 8785 for integers and these strings), and hashlib.sha256 of its UTF-8.
const REFERENCE_TEXT =
  '{"arch":"densenet-tiny","created_at":"2026-12-04T17:00:00.000Z","format":"fedaln-release-manifest/1",' +
  '"input_size":32,"override_reason":"AUC 0.71 at site B: \\"small test set\\"\\n(n=40) — accepted",' +
  '"previous_manifest_sha256":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd","round":3,' +
  '"study_id":"3f1c6a52-9b7e-4d0a-8c21-5e6f7a8b9c0d","verdict":"fail","version":12,' +
  '"weights_sha256":"abababababababababababababababababababababababababababababababab"}';
const REFERENCE_SHA256 = '71cf1adc7d258061819c4f2e36479f464cb7a0a295d9e26a9c802e23bbfb1329';

// RFC 8032 §7.1 TEST 1 key pair (as in signature.spec.ts).
const secret = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const publicKey = Buffer.from(
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  'hex',
).toString('base64');
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secret]),
  format: 'der',
  type: 'pkcs8',
});
/** Signed by node:crypto, not by the code under test. */
const signText = (text: string): string =>
  sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64');

describe('canonical encoding of a release manifest', () => {
  it('is byte for byte the reference text, whatever order the fields were given in', () => {
    expect(encodeReleaseManifest(MANIFEST)).toBe(REFERENCE_TEXT);
    const reversed = Object.fromEntries(Object.entries(MANIFEST).reverse()) as unknown as ReleaseManifest;
    expect(encodeReleaseManifest(reversed)).toBe(REFERENCE_TEXT);
    expect(releaseManifestSha256(REFERENCE_TEXT)).toBe(REFERENCE_SHA256);
  });

  it('is stable: parse then encode gives the same text, and encoding twice the same bytes', () => {
    const text = encodeReleaseManifest(MANIFEST);
    expect(encodeReleaseManifest(parseReleaseManifest(text))).toBe(text);
    expect(encodeReleaseManifest({ ...MANIFEST })).toBe(text);
    // A first release: no override, no previous link — null, never left out.
    const first = {
      ...MANIFEST,
      verdict: 'pass' as const,
      override_reason: null,
      previous_manifest_sha256: null,
    };
    expect(encodeReleaseManifest(first)).toContain('"override_reason":null,"previous_manifest_sha256":null,');
  });

  it('writes integers in plain decimal and refuses any other number', () => {
    expect(canonicalJson({ b: 120, a: [0, 9007199254740991] })).toBe('{"a":[0,9007199254740991],"b":120}');
    for (const n of [1.5, -1, -0, Number.NaN, Infinity, 2 ** 53])
      expect(() => canonicalJson({ x: n })).toThrow(ReleaseManifestError);
  });

  it('names the malformed field', () => {
    expect(() => encodeReleaseManifest({ ...MANIFEST, round: 0 })).toThrow(
      'release manifest field round is 0; expected an integer ≥ 1',
    );
    expect(() => encodeReleaseManifest({ ...MANIFEST, weights_sha256: 'AB'.repeat(32) })).toThrow(
      /field weights_sha256 .* expected 64 lower-case hexadecimal digits/,
    );
    expect(() => encodeReleaseManifest({ ...MANIFEST, verdict: 'maybe' as 'pass' })).toThrow(/field verdict/);
  });
});

describe('a manifest with nomogram_sha256 (issue 15)', () => {
  // Reference: Python 3.11.7 json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) of
  // MANIFEST plus nomogram_sha256 = "ef" × 32, and hashlib.sha256 of its UTF-8.
  const WITH_NOMOGRAM_SHA256 = '2167a59d3b11a959485fef17b162abb19293007ac692461008fc4d673c4914ae';
  const withNomogram: ReleaseManifest = Object.freeze({ ...MANIFEST, nomogram_sha256: 'ef'.repeat(32) });

  it('encodes it in its sorted place and parses it back; without it the text is that of before', () => {
    const text = encodeReleaseManifest(withNomogram);
    expect(text).toContain('"input_size":32,"nomogram_sha256":"efef');
    expect(releaseManifestSha256(text)).toBe(WITH_NOMOGRAM_SHA256);
    expect(parseReleaseManifest(text).nomogram_sha256).toBe('ef'.repeat(32));
    // Older manifests (no such field) keep their exact bytes, so their signatures still verify.
    expect(encodeReleaseManifest(MANIFEST)).toBe(REFERENCE_TEXT);
    expect(parseReleaseManifest(REFERENCE_TEXT)).not.toHaveProperty('nomogram_sha256');
  });

  it('refuses a nomogram_sha256 that is not a sha256, naming the field', () => {
    expect(() => encodeReleaseManifest({ ...MANIFEST, nomogram_sha256: 'xyz' })).toThrow(
      'release manifest field nomogram_sha256 is "xyz"; expected absent or 64 lower-case hexadecimal digits',
    );
    expect(() =>
      parseReleaseManifest(
        REFERENCE_TEXT.replace('"input_size":32,', '"input_size":32,"nomogram_sha256":null,'),
      ),
    ).toThrow(/field nomogram_sha256 is null/);
  });
});

describe('parseReleaseManifest', () => {
  it('refuses text that is not canonical, has unknown fields or is not JSON', () => {
    expect(() => parseReleaseManifest(JSON.stringify(MANIFEST))).toThrow(/not in canonical form/);
    expect(() => parseReleaseManifest(JSON.stringify(JSON.parse(REFERENCE_TEXT), null, 1))).toThrow(
      /not in canonical form/,
    );
    expect(() => parseReleaseManifest(REFERENCE_TEXT.replace('{', '{"extra":1,'))).toThrow(
      /unknown field extra/,
    );
    expect(() => parseReleaseManifest(REFERENCE_TEXT.slice(1))).toThrow(/not JSON/);
  });
});

describe('verifyManifestSignature', () => {
  const signature = signText(REFERENCE_TEXT);

  it('accepts the signature over the canonical text and nothing else', () => {
    expect(verifyManifestSignature(publicKey, REFERENCE_TEXT, signature)).toBe(true);
    expect(
      verifyManifestSignature(publicKey, REFERENCE_TEXT.replace('"round":3', '"round":4'), signature),
    ).toBe(false);
    expect(verifyManifestSignature(publicKey, REFERENCE_TEXT, null)).toBe(false);
    expect(verifyManifestSignature(publicKey, REFERENCE_TEXT, 'AAAA')).toBe(false);
  });
});
