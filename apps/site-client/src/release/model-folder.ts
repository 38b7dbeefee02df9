/**
 * A model folder as `fedaln-site pull` writes it from a signed release (issue 14): the tfjs layers
 * format (`model.json` + shards, for other tools), the released weights blob exactly as signed
 * (`weights.fedaln`) and the release's signed manifest (`release-manifest.json`: `{ manifest,
 * signature }`, as `GET /api/releases/:v/manifest.json` serves it). `predict` and `evaluate` check
 * the manifest against the pinned coordinator key and the blob against the manifest, then run the
 * blob — so the weights used are the signed bytes, whatever else in the folder was changed.
 */
import { nomogramProblem, type Nomogram } from '@fedaln/metrics';
import { parseReleaseManifest, type ReleaseManifest, type SignedReleaseManifest } from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readPinnedKey, UntrustedModelError } from './release-trust';
import { acceptSignedManifest } from './signed-manifest';

export const MODEL_MANIFEST_FILE = 'release-manifest.json';
export const MODEL_WEIGHTS_FILE = 'weights.fedaln';
/** The release's nomogram beside the model (issue 15): its exact text, hashed into the signed manifest. */
export const MODEL_NOMOGRAM_FILE = 'nomogram.json';

/**
 * Writes the signed manifest and the blob into `dir` (after the layers format), each via a
 * temporary file and a rename.
 *
 * @example await writeReleaseFiles(out, signed, bytes);
 */
export async function writeReleaseFiles(
  dir: string,
  signed: SignedReleaseManifest,
  blob: Uint8Array,
  nomogram: string | null = null,
): Promise<void> {
  for (const [name, data] of [
    ...(nomogram === null ? [] : [[MODEL_NOMOGRAM_FILE, nomogram] as const]),
    [MODEL_WEIGHTS_FILE, blob],
    [
      MODEL_MANIFEST_FILE,
      `${JSON.stringify({ manifest: signed.manifest, signature: signed.signature }, null, 2)}\n`,
    ],
  ] as const) {
    const file = path.join(dir, name);
    await fs.writeFile(`${file}.${process.pid}.tmp`, data);
    await fs.rename(`${file}.${process.pid}.tmp`, file);
  }
}

/** Removes a previous release's manifest and blob from `dir`, so a folder is never half old, half new. */
export async function removeReleaseFiles(dir: string): Promise<void> {
  for (const name of [MODEL_MANIFEST_FILE, MODEL_WEIGHTS_FILE, MODEL_NOMOGRAM_FILE])
    await fs.rm(path.join(dir, name), { force: true });
}

/**
 * The verified release in model folder `dir`: its manifest's signature verifies against the key
 * pinned in `workDir`, its verdict is acceptable, and `weights.fedaln` hashes to the manifest's
 * `weights_sha256`.
 *
 * @throws UntrustedModelError saying what is missing or wrong and what to do.
 * @example const { manifest, blob } = await verifyModelFolder('models/latest', 'fedaln-site-work');
 */
export async function verifyModelFolder(
  dir: string,
  workDir: string,
): Promise<{ manifest: ReleaseManifest; blob: Uint8Array }> {
  const manifestFile = path.join(dir, MODEL_MANIFEST_FILE);
  const text = await fs.readFile(manifestFile, 'utf8').catch(() => null);
  if (text === null)
    throw new UntrustedModelError(
      `${dir} has no ${MODEL_MANIFEST_FILE}: it is not a model pulled from a signed release (a global model ` +
        'pulled with --version, or a folder made elsewhere); pull a release with `fedaln-site pull`, or pass ' +
        '--allow-unsigned to use it unverified',
    );
  let signed: Partial<SignedReleaseManifest> | null = null;
  try {
    signed = JSON.parse(text) as Partial<SignedReleaseManifest>;
  } catch {
    // reported below as a missing signed manifest
  }
  const key = await readPinnedKey(workDir);
  if (key === null)
    throw new UntrustedModelError(
      `no coordinator key is pinned in ${path.resolve(workDir)}; pass --work-dir DIR, the work dir the model was pulled with ` +
        '(it holds coordinator-key.json), or --allow-unsigned to use the model unverified',
    );
  const manifest = acceptSignedManifest(signed, key, manifestFile);
  const weightsFile = path.join(dir, MODEL_WEIGHTS_FILE);
  const blob = await fs.readFile(weightsFile).catch(() => null);
  if (blob === null)
    throw new UntrustedModelError(
      `${weightsFile} is missing: the signed manifest names weights ${manifest.weights_sha256}; pull the release again`,
    );
  const actual = createHash('sha256').update(blob).digest('hex');
  if (actual !== manifest.weights_sha256)
    throw new UntrustedModelError(
      `${weightsFile} hashes to ${actual}, not the signed manifest's ${manifest.weights_sha256}: ` +
        'the weights were altered; pull the release again',
    );
  return { manifest, blob: new Uint8Array(blob) };
}

/**
 * The nomogram in model folder `dir`, or null when it has none. In a folder with a release manifest
 * (whose signature `loadModelDir` verified) the file must hash to the manifest's `nomogram_sha256`;
 * in a folder without one (`--allow-unsigned`) it is only checked for form.
 *
 * @throws UntrustedModelError naming the file and what is wrong.
 * @example const n = await readModelNomogram('models/latest'); n?.platt.coefficients
 */
export async function readModelNomogram(dir: string): Promise<Nomogram | null> {
  const file = path.join(dir, MODEL_NOMOGRAM_FILE);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const signedText = await fs.readFile(path.join(dir, MODEL_MANIFEST_FILE), 'utf8').catch(() => null);
  if (signedText !== null) {
    const manifest = parseReleaseManifest((JSON.parse(signedText) as SignedReleaseManifest).manifest);
    const actual = createHash('sha256').update(text, 'utf8').digest('hex');
    if (manifest.nomogram_sha256 !== actual)
      throw new UntrustedModelError(
        `${file} hashes to ${actual}, but the signed manifest names ${manifest.nomogram_sha256 ?? 'no nomogram'}; pull the release again`,
      );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UntrustedModelError(`${file} is not JSON (${(e as Error).message}); pull the release again`);
  }
  const problem = nomogramProblem(value);
  if (problem) throw new UntrustedModelError(`${file}: ${problem}; pull the release again`);
  return value as Nomogram;
}
