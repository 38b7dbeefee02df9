import { blobToLayersDir, selectEngine } from '@fedaln/model';
import * as path from 'node:path';
import type { PullCommand } from '../cli/parse-pull';
import { PINNED_KEY_FILE, pinnedPublicKey, verifyRelease } from '../release/release-trust';
import type { CoordinatorHttp } from './coordinator-http';

/** The fields of the coordinator's release response (`GET /api/releases/:v`) that pull relies on. */
interface ReleaseView {
  readonly version: number;
  readonly study_id: string;
  readonly round: number;
  readonly weights_sha256: string;
  readonly signature?: string | null;
  /** The study's architecture and input size; null on releases made before records carried it. */
  readonly model?: { readonly arch: string; readonly input_size: number } | null;
}

/** The part of the release's model card (`card.json`) that says how to rebuild the model. */
interface CardModel {
  readonly model: { readonly arch: string; readonly input_size: number };
}

/** The newest release this site may read (of `study`, when given). */
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
 * `fedaln-site pull [--release N|latest]`: pins the coordinator's Ed25519 key (first contact or
 * `--public-key`), downloads the release's weights, refuses them unless their sha256 is the
 * released one and the signature over it verifies against the pinned key (release-trust.ts), then
 * writes the tfjs layers format at the release's input size (its model card's). Prints the
 * version, the sha256 and "signature verified" on stdout.
 *
 * @throws UntrustedModelError for a tampered, unsigned or wrongly signed release; nothing is written.
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
  const version = source.release === 'latest' ? await newestRelease(http, source.study) : source.release;
  const what = `release v${version}`;
  const release = await http.json<ReleaseView>(`/api/releases/${version}`, what, '--release');
  if (source.study !== undefined && release.study_id !== source.study)
    throw new Error(
      `${what} belongs to study ${release.study_id}, not ${source.study}; check --release and --study`,
    );
  log(`${what} (study ${release.study_id}, round ${release.round}): downloading its weights`);
  const bytes = await http.bytes(`/api/releases/${version}/weights`, what, '--release');
  verifyRelease(bytes, release, key);
  const inputSize =
    cmd.inputSize ??
    release.model?.input_size ??
    (await http.json<CardModel>(`/api/releases/${version}/card.json`, `${what} model card`, '--input-size'))
      .model.input_size;
  const out = path.resolve(cmd.out);
  await selectEngine(undefined, log); // rebuilding the architecture to save it needs a ready tfjs backend
  const recognised = await blobToLayersDir(bytes, out, { inputSize });
  process.stdout.write(
    `${what} (study ${release.study_id}, round ${release.round}) sha256 ${release.weights_sha256}: ` +
      `signature verified against the pinned coordinator key ${key} (${path.join(workDir, PINNED_KEY_FILE)}); ` +
      `${recognised.arch} at ${inputSize} px written to ${out}\n`,
  );
  return 0;
}
