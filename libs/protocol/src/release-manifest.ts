/**
 * The signed release manifest (DESIGN.md "Trust model", issue 14): what the coordinator's Ed25519
 * release key vouches for — which study, round and version a released model is, the release
 * policy's verdict (and the lead's override reason), how to rebuild it (architecture, input size),
 * the sha256 of its weights blob, when it was made, and the sha256 of the study's previous manifest,
 * so a study's releases form a hash chain (the first one's link is null).
 *
 * Canonical encoding (the bytes that are signed and hashed): JSON as RFC 8785 (JCS) writes it,
 * restricted to what a manifest holds — object keys sorted by UTF-16 code units, no whitespace,
 * strings escaped as ECMAScript's `JSON.stringify` escapes them, numbers only as safe non-negative
 * integers in plain decimal (no sign, exponent, fraction or leading zero), `null` for absent values.
 * A manifest travels as that exact text (a JSON string inside API responses and files), so no parser
 * or re-serialiser between the coordinator and the site can change the signed bytes; a site accepts
 * only text that is already canonical.
 */
import { createHash } from 'node:crypto';
import { decodeEd25519PublicKey, ED25519_SIGNATURE_BYTES, verifyEd25519 } from './signature';

/** The manifest format this code writes and reads; a manifest names it in `format`. */
export const RELEASE_MANIFEST_FORMAT = 'fedaln-release-manifest/1';

export interface ReleaseManifest {
  readonly format: typeof RELEASE_MANIFEST_FORMAT;
  readonly study_id: string;
  readonly round: number;
  readonly version: number;
  /** The release policy's verdict on the round; `fail` is released only with `override_reason`. */
  readonly verdict: 'pass' | 'fail';
  readonly override_reason: string | null;
  readonly arch: string;
  readonly input_size: number;
  readonly weights_sha256: string;
  /** ISO 8601 UTC time the release was made. */
  readonly created_at: string;
  /** sha256 (hex) of the canonical text of the study's previous signed release; null for its first. */
  readonly previous_manifest_sha256: string | null;
  /**
   * sha256 (hex) of the release's `nomogram.json` (issue 15: the Platt recalibration and the combined
   * model fitted after training); absent when the release has none, so every manifest made before it
   * keeps its exact canonical text and signature.
   */
  readonly nomogram_sha256?: string;
}

/**
 * A manifest as it travels (API responses, `GET /api/releases/:v/manifest.json`, and the
 * `release-manifest.json` of a pulled model folder): the canonical text and the coordinator's
 * Ed25519 signature over its UTF-8 bytes (base64).
 */
export interface SignedReleaseManifest {
  readonly manifest: string;
  readonly signature: string;
}

/** A manifest that is malformed or not canonical; `field` names the offending field. */
export class ReleaseManifestError extends Error {
  override readonly name = 'ReleaseManifestError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const KEYS: readonly (keyof ReleaseManifest)[] = [
  'arch',
  'created_at',
  'format',
  'input_size',
  'nomogram_sha256',
  'override_reason',
  'previous_manifest_sha256',
  'round',
  'study_id',
  'verdict',
  'version',
  'weights_sha256',
];

/**
 * The canonical text of a JSON value under the rules in this file's comment.
 *
 * @throws ReleaseManifestError for a number that is not a safe non-negative integer, or a value JSON
 *   cannot hold (undefined, a function, a bigint).
 * @example canonicalJson({ b: 1, a: [true, null, 'x'] }) // '{"a":[true,null,"x"],"b":1}'
 */
export function canonicalJson(value: unknown, field = 'value'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value) || value < 0 || Object.is(value, -0))
        throw new ReleaseManifestError(
          `${field} is ${value}; the canonical encoding holds only safe non-negative integers`,
          field,
        );
      return String(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((v, i) => canonicalJson(v, `${field}[${i}]`)).join(',')}]`;
      const entries = Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], k)}`);
      return `{${entries.join(',')}}`;
    }
    default:
      throw new ReleaseManifestError(`${field} is a ${typeof value}; JSON cannot hold it`, field);
  }
}

/** Checks every field's type and form; the message names the field and what was expected. */
function checkManifest(m: Record<string, unknown>): ReleaseManifest {
  const bad = (field: string, expected: string): never => {
    throw new ReleaseManifestError(
      `release manifest field ${field} is ${JSON.stringify(m[field]) ?? 'missing'}; expected ${expected}`,
      field,
    );
  };
  const extra = Object.keys(m).find((k) => !(KEYS as readonly string[]).includes(k));
  if (extra !== undefined)
    throw new ReleaseManifestError(
      `release manifest has an unknown field ${extra}; expected exactly ${KEYS.join(', ')}`,
      extra,
    );
  if (m.format !== RELEASE_MANIFEST_FORMAT) bad('format', JSON.stringify(RELEASE_MANIFEST_FORMAT));
  if (typeof m.study_id !== 'string' || m.study_id === '') bad('study_id', 'the study id');
  for (const f of ['round', 'version', 'input_size'] as const)
    if (!Number.isSafeInteger(m[f]) || (m[f] as number) < 1) bad(f, 'an integer ≥ 1');
  if (m.verdict !== 'pass' && m.verdict !== 'fail') bad('verdict', '"pass" or "fail"');
  if (m.override_reason !== null && (typeof m.override_reason !== 'string' || m.override_reason === ''))
    bad('override_reason', 'null or the lead’s written reason');
  if (typeof m.arch !== 'string' || m.arch === '') bad('arch', 'an architecture name');
  if (typeof m.weights_sha256 !== 'string' || !SHA256_HEX.test(m.weights_sha256))
    bad('weights_sha256', '64 lower-case hexadecimal digits');
  if (typeof m.created_at !== 'string' || !ISO_UTC.test(m.created_at))
    bad('created_at', 'an ISO 8601 UTC time (YYYY-MM-DDTHH:MM:SS.sssZ)');
  if (
    m.previous_manifest_sha256 !== null &&
    (typeof m.previous_manifest_sha256 !== 'string' || !SHA256_HEX.test(m.previous_manifest_sha256))
  )
    bad('previous_manifest_sha256', 'null or 64 lower-case hexadecimal digits');
  if (
    'nomogram_sha256' in m &&
    (typeof m.nomogram_sha256 !== 'string' || !SHA256_HEX.test(m.nomogram_sha256))
  )
    bad('nomogram_sha256', 'absent or 64 lower-case hexadecimal digits');
  return m as unknown as ReleaseManifest;
}

/**
 * The canonical text of a manifest (the bytes the coordinator signs).
 *
 * @throws ReleaseManifestError naming the first malformed field.
 * @example encodeReleaseManifest(m).startsWith('{"arch":') // true: keys in sorted order
 */
export function encodeReleaseManifest(manifest: ReleaseManifest): string {
  const fields: Record<string, unknown> = {};
  // The one optional field is left out when absent (not null), so older manifests keep their text.
  for (const k of KEYS) if (k !== 'nomogram_sha256' || manifest[k] !== undefined) fields[k] = manifest[k];
  return canonicalJson(checkManifest(fields));
}

/**
 * The manifest in `text`, which must be the canonical encoding of a well-formed manifest (so the
 * fields read are exactly the bytes a signature covers).
 *
 * @throws ReleaseManifestError for text that is not JSON, a malformed field, or non-canonical text.
 * @example parseReleaseManifest(encodeReleaseManifest(m)).version === m.version // true
 */
export function parseReleaseManifest(text: string): ReleaseManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ReleaseManifestError(`release manifest is not JSON (${(e as Error).message})`, 'manifest');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ReleaseManifestError('release manifest is not a JSON object', 'manifest');
  const manifest = checkManifest(value as Record<string, unknown>);
  if (encodeReleaseManifest(manifest) !== text)
    throw new ReleaseManifestError(
      'release manifest text is not in canonical form (sorted keys, no whitespace); it was re-encoded on its way',
      'manifest',
    );
  return manifest;
}

/** sha256 (hex) of a manifest's canonical text, the link the next release of the study carries. */
export function releaseManifestSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Whether `signatureBase64` is the Ed25519 signature (RFC 8032) of the pinned key over the UTF-8
 * bytes of `text`. False for an absent, malformed or wrong signature.
 *
 * @throws SignatureInputError for a malformed pinned key.
 * @example if (!verifyManifestSignature(pinnedKey, signed.manifest, signed.signature)) refuse();
 */
export function verifyManifestSignature(
  publicKeyBase64: string,
  text: string,
  signatureBase64: string | null | undefined,
): boolean {
  const key = decodeEd25519PublicKey(publicKeyBase64);
  if (typeof signatureBase64 !== 'string') return false;
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length !== ED25519_SIGNATURE_BYTES || signature.toString('base64') !== signatureBase64)
    return false;
  return verifyEd25519(key, Buffer.from(text, 'utf8'), signature);
}
