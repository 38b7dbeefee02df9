/**
 * What `fedaln-site pull` needs to trust a released model (DESIGN.md "Security"): the
 * coordinator's Ed25519 public key, pinned in the work directory at first contact (or given
 * explicitly), and a check that the release signature over the blob's sha256 verifies against it.
 * Used by `fedaln-site pull` (src/pull/pull-release.ts).
 */
import { verifyDigestSignature, type PublicKeysResponse } from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { readPin, writePin } from '../trust/pin-store';

/** `<work-dir>/coordinator-key.json`: the pinned key and where it came from. */
export const PINNED_KEY_FILE = 'coordinator-key.json';

export interface PinnedKey {
  readonly ed25519_public_key: string;
  readonly coordinator: string;
  readonly pinned_at: string;
}

/** A model the site must not use; the message says why and what to do. */
export class UntrustedModelError extends Error {
  override readonly name = 'UntrustedModelError';
}

/**
 * The key pinned in `workDir` (by `pull` or `run`), or null when none is: what `predict` and
 * `evaluate` verify a model folder's manifest against, without asking the network.
 *
 * @example const key = await readPinnedKey('fedaln-site-work');
 */
export async function readPinnedKey(workDir: string): Promise<string | null> {
  return (await readPin<PinnedKey>(workDir, PINNED_KEY_FILE))?.ed25519_public_key ?? null;
}

/**
 * The pinned key of `coordinator`: the one in the work dir; else `explicit` (the `--public-key`
 * flag) or, at first contact, the coordinator's `GET /api/keys`; the result is stored. A key that
 * differs from the pinned one is refused: a coordinator does not change its signing key.
 *
 * @throws UntrustedModelError when `explicit` or the served key differs from the pinned one.
 * @example const key = await pinnedPublicKey(workDir, 'https://fedaln.example.org', undefined, fetch);
 */
export async function pinnedPublicKey(
  workDir: string,
  coordinator: string,
  explicit: string | undefined,
  fetchFn: (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>,
): Promise<string> {
  const file = path.join(workDir, PINNED_KEY_FILE);
  const pinned = await readPin<PinnedKey>(workDir, PINNED_KEY_FILE);
  if (pinned && explicit !== undefined && explicit !== pinned.ed25519_public_key)
    throw new UntrustedModelError(
      `--public-key ${explicit} differs from the key pinned in ${file} (${pinned.ed25519_public_key}); if the consortium really changed its key, delete ${file} and pull again`,
    );
  if (pinned) return pinned.ed25519_public_key;
  let key = explicit;
  if (key === undefined) {
    const res = await fetchFn(`${coordinator}/api/keys`);
    if (!res.ok) throw new Error(`GET ${coordinator}/api/keys: HTTP ${res.status}; check --coordinator`);
    key = ((await res.json()) as PublicKeysResponse).ed25519_public_key;
  }
  const record: PinnedKey = { ed25519_public_key: key, coordinator, pinned_at: new Date().toISOString() };
  await writePin(workDir, PINNED_KEY_FILE, record);
  return key;
}

/**
 * Checks a downloaded release: its bytes hash to the release's `weights_sha256`, and its Ed25519
 * signature over that 32-byte digest verifies against the pinned key.
 *
 * @throws UntrustedModelError for a tampered blob, a missing signature or a bad signature.
 * @example verifyRelease(bytes, await (await fetch(`${base}/api/releases/3`)).json(), pinnedKey);
 */
export function verifyRelease(
  bytes: Uint8Array,
  release: { readonly version: number; readonly weights_sha256: string; readonly signature?: string | null },
  pinnedKey: string,
): void {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== release.weights_sha256)
    throw new UntrustedModelError(
      `release v${release.version} weights hash to ${actual}, not the released ${release.weights_sha256}: the file was altered or truncated; not written`,
    );
  if (!release.signature)
    throw new UntrustedModelError(
      `release v${release.version} is unsigned; refusing it (only signed releases are used)`,
    );
  if (!verifyDigestSignature(pinnedKey, actual, release.signature))
    throw new UntrustedModelError(
      `release v${release.version} signature does not verify against the pinned coordinator key; refusing it (tampered, or signed by another key)`,
    );
}
