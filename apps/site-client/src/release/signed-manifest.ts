/**
 * What a site accepts as a release (issue 14): a manifest whose canonical text carries the pinned
 * coordinator key's Ed25519 signature, and whose verdict is a pass or a lead's override with its
 * written reason. Used by `pull` (on the manifest the coordinator serves) and by `predict`/`evaluate`
 * (on the manifest a model folder keeps).
 */
import {
  parseReleaseManifest,
  ReleaseManifestError,
  verifyManifestSignature,
  type ReleaseManifest,
  type SignedReleaseManifest,
} from '@fedaln/protocol';
import { UntrustedModelError } from './release-trust';

/**
 * The manifest in `signed`, once its signature verifies against `pinnedKey`, its text is a canonical
 * well-formed manifest and its verdict is a pass or an override with a reason. `what` names the
 * release or file in messages.
 *
 * @throws UntrustedModelError saying which check failed.
 * @example const m = acceptSignedManifest(await http.json(`/api/releases/3/manifest.json`, …), key, 'release v3');
 */
export function acceptSignedManifest(
  signed: Partial<SignedReleaseManifest> | null | undefined,
  pinnedKey: string,
  what: string,
): ReleaseManifest {
  if (typeof signed?.manifest !== 'string' || typeof signed.signature !== 'string')
    throw new UntrustedModelError(`${what} has no signed release manifest; refusing it`);
  if (!verifyManifestSignature(pinnedKey, signed.manifest, signed.signature))
    throw new UntrustedModelError(
      `${what}: the release manifest's signature does not verify against the pinned coordinator key; ` +
        'refusing it (a field was altered, or it was signed by another key)',
    );
  let manifest: ReleaseManifest;
  try {
    manifest = parseReleaseManifest(signed.manifest);
  } catch (e) {
    if (!(e instanceof ReleaseManifestError)) throw e;
    throw new UntrustedModelError(`${what}: ${e.message}; refusing it`);
  }
  if (manifest.verdict !== 'pass' && (manifest.override_reason ?? '').trim() === '')
    throw new UntrustedModelError(
      `${what} (study ${manifest.study_id}, round ${manifest.round}) failed the release policy and carries no ` +
        'override reason from the lead; refusing it (only releases that passed, or that the lead released with a written reason, are used)',
    );
  return manifest;
}
