/**
 * A release (DESIGN.md "Evaluation and release"): immutable once made — version, study, round,
 * weights sha256, contributing sites with case counts, metrics, the policy verdict, the lead's
 * override reason when the verdict failed, and the coordinator's Ed25519 signatures: over the
 * release's canonical manifest (issue 14; what sites verify) and over the weights digest (what
 * releases carried before manifests). Pure apart from the signer passed in.
 */
import {
  encodeReleaseManifest,
  RELEASE_MANIFEST_FORMAT,
  releaseManifestSha256,
  type SiteMetricsReport,
} from '@fedaln/protocol';
import type { ReleaseVerdict } from '../evaluation/release-policy';

/** An override must say why in at least this many characters (not "ok"). */
export const MIN_OVERRIDE_REASON_LENGTH = 20;

export interface ReleaseSite {
  readonly site_id: string;
  readonly name: string;
  readonly n_train: number;
  readonly n_test: number;
}

export interface ReleaseInput {
  readonly version: number;
  readonly study_id: string;
  readonly round: number;
  readonly weights_sha256: string;
  /** How to rebuild the model the weights fit (the study's architecture and input size in pixels). */
  readonly model: { readonly arch: string; readonly input_size: number };
  readonly sites: readonly ReleaseSite[];
  readonly metrics: {
    readonly sites: readonly { readonly site_id: string; readonly report: SiteMetricsReport }[];
    readonly pooled: {
      readonly auc: number | null;
      readonly auc_ci: readonly [number, number] | null;
      readonly dca_range: readonly [number, number] | null;
    };
  };
  readonly verdict: ReleaseVerdict;
  /** Required exactly when the verdict failed: the lead's written reason for releasing anyway. */
  readonly override_reason?: string;
  readonly created_at: string;
  /** The `manifest.sha256` of the study's newest signed release (the chain's link); null for its first. */
  readonly previous_manifest_sha256: string | null;
  /** sha256 of the round's `nomogram.json` (issue 15), signed in the manifest; absent without one. */
  readonly nomogram_sha256?: string;
}

/** A release's signed manifest as stored and served: its canonical text, signature and sha256. */
export interface StoredManifest {
  readonly text: string;
  /** Ed25519 signature (base64) over the UTF-8 bytes of `text`. */
  readonly signature: string;
  readonly sha256: string;
}

export interface ReleaseRecord extends Omit<ReleaseInput, 'override_reason' | 'previous_manifest_sha256'> {
  readonly override_reason: string | null;
  /** Ed25519 signature (base64) over the 32-byte digest `weights_sha256`. */
  readonly signature: string;
  /** The signing key (base64 of the raw 32 bytes), as `GET /api/keys` serves it. */
  readonly ed25519_public_key: string;
  /**
   * Absent on releases made before manifests (issue 14): those are verifiable only by the digest
   * signature, and `fedaln-site pull` refuses them unless `--allow-unsigned`.
   */
  readonly manifest?: StoredManifest;
}

/** The coordinator's release key (signing.ts ReleaseSigner). */
export interface ReleaseKeySigner {
  signDigest(sha256Hex: string): string;
  signManifest(canonicalText: string): string;
  publicKeyRaw(): string;
}

/** Why a release cannot be made; `field` names the input to fix. */
export class ReleaseRefusedError extends Error {
  override readonly name = 'ReleaseRefusedError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Makes the signed, deep-frozen release record. A passing verdict is a release candidate that the
 * lead may release as is; a failing one is released only with an override reason, which is kept
 * in the record beside the verdict's reasons. The input is copied (structuredClone), not frozen.
 *
 * The manifest (`@fedaln/protocol` release-manifest.ts) is built from the same input: verdict `pass`
 * or `fail`, the kept override reason, the model's architecture and input size, and the link
 * `previous_manifest_sha256`.
 *
 * @throws ReleaseManifestError for a field the manifest cannot hold (e.g. a created_at that is not ISO UTC).
 * @throws ReleaseRefusedError for a failing verdict without a reason of at least
 *   {@link MIN_OVERRIDE_REASON_LENGTH} characters (`override_reason`), a reason given for a passing
 *   verdict, or a contributing site without training cases (`sites`).
 * @example
 * const record = buildReleaseRecord({ ...candidate, created_at: new Date().toISOString() }, signer);
 * verifyManifestSignature(record.ed25519_public_key, record.manifest!.text, record.manifest!.signature); // true
 */
export function buildReleaseRecord(input: ReleaseInput, signer: ReleaseKeySigner): ReleaseRecord {
  const reason = input.override_reason?.trim() ?? '';
  if (!input.verdict.pass && reason.length < MIN_OVERRIDE_REASON_LENGTH) {
    const failed = input.verdict.reasons.map((r) => r.message).join('; ');
    throw new ReleaseRefusedError(
      `round ${input.round} failed the release policy (${failed}); releasing it needs override_reason, a written reason of at least ${MIN_OVERRIDE_REASON_LENGTH} characters`,
      'override_reason',
    );
  }
  if (input.verdict.pass && reason !== '')
    throw new ReleaseRefusedError(
      `round ${input.round} passed the release policy; override_reason is only for releasing a failing round — leave it out`,
      'override_reason',
    );
  const empty = input.sites.find((s) => !(Number.isInteger(s.n_train) && s.n_train > 0));
  if (empty)
    throw new ReleaseRefusedError(
      `site ${empty.name} (${empty.site_id}) has n_train ${empty.n_train}; a contributing site trained on at least one case`,
      'sites',
    );
  const { previous_manifest_sha256, ...copy } = structuredClone(input);
  const text = encodeReleaseManifest({
    format: RELEASE_MANIFEST_FORMAT,
    study_id: input.study_id,
    round: input.round,
    version: input.version,
    verdict: input.verdict.pass ? 'pass' : 'fail',
    override_reason: reason === '' ? null : reason,
    arch: input.model.arch,
    input_size: input.model.input_size,
    weights_sha256: input.weights_sha256,
    created_at: input.created_at,
    previous_manifest_sha256,
    ...(input.nomogram_sha256 === undefined ? {} : { nomogram_sha256: input.nomogram_sha256 }),
  });
  return deepFreeze({
    ...copy,
    override_reason: reason === '' ? null : reason,
    signature: signer.signDigest(input.weights_sha256),
    ed25519_public_key: signer.publicKeyRaw(),
    manifest: { text, signature: signer.signManifest(text), sha256: releaseManifestSha256(text) },
  });
}
