import { nomogramProblem } from '@fedaln/metrics';
import { blobToLayersDir, selectEngine } from '@fedaln/model';
import { releaseManifestSha256, type ReleaseManifest } from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { PullCommand } from '../cli/parse-pull';
import { removeReleaseFiles, writeReleaseFiles } from '../release/model-folder';
import {
  PINNED_KEY_FILE,
  pinnedPublicKey,
  UntrustedModelError,
  verifyRelease,
} from '../release/release-trust';
import {
  readSeenReleases,
  recordSeenRelease,
  SEEN_RELEASES_FILE,
  type SeenReleases,
} from '../release/seen-releases';
import { acceptSignedManifest } from '../release/signed-manifest';
import type { CoordinatorHttp } from './coordinator-http';

/**
 * The fields of the coordinator's release response (`GET /api/releases/:v`) that pull reads. Only
 * the signed manifest (and, for releases made before manifests, the digest signature) is trusted.
 */
interface ReleaseView {
  readonly version: number;
  readonly study_id: string;
  readonly round: number;
  readonly weights_sha256: string;
  readonly signature?: string | null;
  /** The study's architecture and input size; null on releases made before records carried it. */
  readonly model?: { readonly arch: string; readonly input_size: number } | null;
  /** The signed manifest's canonical text and signature; null or absent on releases made before manifests. */
  readonly manifest?: string | null;
  readonly manifest_signature?: string | null;
}

/** The part of the release's model card (`card.json`) that says how to rebuild the model. */
interface CardModel {
  readonly model: { readonly arch: string; readonly input_size: number };
}

/**
 * The newest release of `study` (any study when undefined) in the coordinator's release list. The
 * list is unsigned: it only picks a version, whose signed manifest is then checked.
 */
async function newestRelease(http: CoordinatorHttp, study: string | undefined): Promise<number> {
  const all = await http.json<ReleaseView[]>('/api/releases', 'the release list', '--coordinator');
  const mine = all.filter((r) => study === undefined || r.study_id === study);
  if (mine.length === 0)
    throw new Error(
      `no release${study === undefined ? '' : ` of study ${study}`} is visible to this site yet; ask the lead to release a round, ` +
        'or pull an unsigned global model with --study ID --version latest (not for clinical use)',
    );
  return Math.max(...mine.map((r) => r.version));
}

/**
 * The study a pull must be of: `--study`, else the one study this work dir pulled before; undefined
 * at first contact (the signed manifest's study is then taken and remembered).
 */
function expectedStudy(flag: string | undefined, seen: SeenReleases, file: string): string | undefined {
  if (flag !== undefined) return flag;
  const studies = Object.keys(seen);
  if (studies.length > 1)
    throw new Error(
      `this work dir has pulled releases of ${studies.length} studies (${studies.join(', ')}, in ${file}); pass --study ID to say which`,
    );
  return studies[0];
}

/**
 * The checks on a release's signed manifest beyond its signature and verdict: it is the version
 * asked for, of the study expected, and (for `latest`) not older than the newest this work dir has
 * accepted for that study.
 */
function checkManifestAgainstRequest(
  manifest: ReleaseManifest,
  manifestSha256: string,
  request: { version: number; latest: boolean; study: string | undefined; studyFromFlag: boolean },
  seen: SeenReleases,
  seenFile: string,
): void {
  const what = `release v${request.version}`;
  if (manifest.version !== request.version)
    throw new UntrustedModelError(
      `${what}: its signed manifest is of release v${manifest.version}; the coordinator's answer was swapped on its way; refusing it`,
    );
  if (request.study !== undefined && manifest.study_id !== request.study)
    throw new UntrustedModelError(
      `${what} belongs to study ${manifest.study_id} (its signed manifest says so), not ${request.study} ` +
        `(${request.studyFromFlag ? 'given with --study' : `the study this work dir pulled before, ${seenFile}`}); refusing it` +
        (request.studyFromFlag
          ? ''
          : `. To pull a release of study ${manifest.study_id} on purpose, pass --study ${manifest.study_id}`),
    );
  const newest = seen[manifest.study_id];
  if (newest === undefined) return;
  if (request.latest && manifest.version < newest.version)
    throw new UntrustedModelError(
      `the coordinator offered release v${manifest.version} as the newest of study ${manifest.study_id}, but this work dir ` +
        `accepted v${newest.version} on ${newest.seen_at} (${seenFile}); refusing the older one (a rollback). ` +
        'To pull an older release on purpose, name it: --release N',
    );
  if (manifest.version === newest.version && manifestSha256 !== newest.manifest_sha256)
    throw new UntrustedModelError(
      `release v${manifest.version} of study ${manifest.study_id} has a signed manifest (sha256 ${manifestSha256}) other than the ` +
        `one this work dir accepted (${newest.manifest_sha256}, ${seenFile}); refusing it — report it to the consortium lead`,
    );
}

/**
 * `fedaln-site pull [--release N|latest]`: pins the coordinator's Ed25519 key (first contact or
 * `--public-key`), then accepts a release only through its signed manifest (issue 14): the
 * signature verifies against the pinned key; it is the version asked for, of the study asked for
 * (`--study`, or the one this work dir pulled before); its verdict is a pass or an override with a
 * reason; for `latest`, it is not older than the newest release of that study this work dir has
 * accepted (`release-versions.json`); and the downloaded weights hash to its `weights_sha256`. The
 * model folder gets the layers format at the manifest's input size, the weights blob and the signed
 * manifest (release/model-folder.ts). A release made before manifests is refused unless
 * `--allow-unsigned` (then checked by its digest signature only, with a warning). Prints the version,
 * the sha256 and "signature verified" on stdout.
 *
 * @throws UntrustedModelError for any failed check; nothing is written.
 * @example await pullRelease(cmd, { release: 'latest', study: undefined }, http, log);
 */
export async function pullRelease(
  cmd: PullCommand,
  source: { release: number | 'latest'; study: string | undefined },
  http: CoordinatorHttp,
  log: (line: string) => void,
): Promise<number> {
  const workDir = path.resolve(cmd.workDir);
  const key = await pinnedPublicKey(workDir, cmd.coordinator, cmd.publicKey, (url) =>
    http.request(url.slice(cmd.coordinator.length)),
  );
  const seen = await readSeenReleases(workDir);
  const seenFile = path.join(workDir, SEEN_RELEASES_FILE);
  const study = expectedStudy(source.study, seen, seenFile);
  const version = source.release === 'latest' ? await newestRelease(http, study) : source.release;
  const what = `release v${version}`;
  const release = await http.json<ReleaseView>(`/api/releases/${version}`, what, '--release');
  const out = path.resolve(cmd.out);
  if (typeof release.manifest !== 'string') return pullUnsignedRelease(cmd, release, http, key, study, log);

  const signed = { manifest: release.manifest, signature: release.manifest_signature ?? '' };
  const manifest = acceptSignedManifest(signed, key, what);
  const manifestSha256 = releaseManifestSha256(signed.manifest);
  checkManifestAgainstRequest(
    manifest,
    manifestSha256,
    { version, latest: source.release === 'latest', study, studyFromFlag: source.study !== undefined },
    seen,
    seenFile,
  );
  if (cmd.inputSize !== undefined && cmd.inputSize !== manifest.input_size)
    throw new Error(
      `--input-size ${cmd.inputSize} differs from the input size ${manifest.input_size} in ${what}'s signed manifest; drop --input-size`,
    );
  const about = `${what} (study ${manifest.study_id}, round ${manifest.round})`;
  log(`${about}: signed manifest verified; downloading its weights`);
  const bytes = await http.bytes(`/api/releases/${version}/weights`, what, '--release');
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== manifest.weights_sha256)
    throw new UntrustedModelError(
      `${what} weights hash to ${actual}, not the ${manifest.weights_sha256} of its signed manifest: the file was altered or truncated; not written`,
    );
  await selectEngine(undefined, log); // rebuilding the architecture to save it needs a ready tfjs backend
  await removeReleaseFiles(out);
  const recognised = await blobToLayersDir(bytes, out, { inputSize: manifest.input_size });
  if (recognised.arch !== manifest.arch)
    throw new UntrustedModelError(
      `${what}: the weights are a ${recognised.arch} but the signed manifest says ${manifest.arch}; refusing them (${out} holds no release manifest)`,
    );
  const nomogram = await releaseNomogram(http, version, what, manifest);
  await writeReleaseFiles(out, signed, bytes, nomogram);
  if (nomogram !== null)
    log(`${about}: nomogram.json (recalibration, combined model) verified and written beside the model`);
  await recordSeenRelease(workDir, manifest.study_id, {
    version: manifest.version,
    manifest_sha256: manifestSha256,
    seen_at: new Date().toISOString(),
  });
  const verdict =
    manifest.verdict === 'pass'
      ? 'passed the release policy'
      : `released by override: ${manifest.override_reason}`;
  process.stdout.write(
    `${about} sha256 ${manifest.weights_sha256}: signature verified (signed manifest ${manifestSha256}) against the ` +
      `pinned coordinator key ${key} (${path.join(workDir, PINNED_KEY_FILE)}); ${verdict}; ` +
      `${recognised.arch} at ${manifest.input_size} px written to ${out}\n`,
  );
  return 0;
}

/**
 * The release's `nomogram.json` (issue 15) when its signed manifest names one: downloaded, hashed
 * against the manifest's `nomogram_sha256` and checked for form; null for a release without one.
 */
async function releaseNomogram(
  http: CoordinatorHttp,
  version: number,
  what: string,
  manifest: ReleaseManifest,
): Promise<string | null> {
  if (manifest.nomogram_sha256 === undefined) return null;
  const bytes = await http.bytes(`/api/releases/${version}/nomogram.json`, what, '--release');
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== manifest.nomogram_sha256)
    throw new UntrustedModelError(
      `${what} nomogram.json hashes to ${actual}, not the ${manifest.nomogram_sha256} of its signed manifest; not written`,
    );
  const text = Buffer.from(bytes).toString('utf8');
  const problem = nomogramProblem(JSON.parse(text));
  if (problem) throw new UntrustedModelError(`${what} nomogram.json: ${problem}; not written`);
  return text;
}

/**
 * A release made before signed manifests: only with `--allow-unsigned`, checked by the signature
 * over its weights digest (what releases carried then); its folder has no manifest, so `predict`
 * and `evaluate` need `--allow-unsigned` too.
 */
async function pullUnsignedRelease(
  cmd: PullCommand,
  release: ReleaseView,
  http: CoordinatorHttp,
  key: string,
  study: string | undefined,
  log: (line: string) => void,
): Promise<number> {
  const what = `release v${release.version}`;
  if (!cmd.allowUnsigned)
    throw new UntrustedModelError(
      `${what} has no signed release manifest (it was made before manifests, or the manifest was stripped on its way): ` +
        'nothing signed says which study, round or version it is, or that it passed the release policy; refusing it. ' +
        'Pass --allow-unsigned to pull it anyway, checked only by the signature over its weights',
    );
  if (study !== undefined && release.study_id !== study)
    throw new Error(
      `${what} belongs to study ${release.study_id}, not ${study}; check --release and --study`,
    );
  log(
    `WARNING: --allow-unsigned: ${what} has no signed manifest; its study, round, version and verdict are unverified — not for clinical use`,
  );
  const bytes = await http.bytes(`/api/releases/${release.version}/weights`, what, '--release');
  verifyRelease(bytes, release, key);
  const inputSize =
    cmd.inputSize ??
    release.model?.input_size ??
    (
      await http.json<CardModel>(
        `/api/releases/${release.version}/card.json`,
        `${what} model card`,
        '--input-size',
      )
    ).model.input_size;
  const out = path.resolve(cmd.out);
  await selectEngine(undefined, log);
  await removeReleaseFiles(out);
  const recognised = await blobToLayersDir(bytes, out, { inputSize });
  process.stdout.write(
    `${what} (study ${release.study_id}, round ${release.round}) sha256 ${release.weights_sha256}: ` +
      `signature over the weights verified against the pinned coordinator key ${key}; no signed manifest; ` +
      `${recognised.arch} at ${inputSize} px written to ${out} (use it with --allow-unsigned)\n`,
  );
  return 0;
}
