import { blobToLayersDir, selectEngine } from '@fedaln/model';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { PullCommand } from '../cli/parse-pull';
import type { CoordinatorHttp } from './coordinator-http';

/** Used when neither `--input-size` nor a release says otherwise: the study design's DenseNet201 input. */
const DEFAULT_INPUT_SIZE = 224;

/** The newest model version, found by asking for versions 0, 1, 2, … until one is missing. */
async function latestVersion(http: CoordinatorHttp, base: string): Promise<number> {
  let version = -1;
  for (;;) {
    const res = await http.request(`${base}/${version + 1}`, 'HEAD');
    if (res.status === 404) break;
    if (!res.ok)
      throw new Error(`HEAD ${base}/${version + 1}: HTTP ${res.status}; check --token and --study`);
    version++;
  }
  if (version < 0) throw new Error(`study has no model yet (${base}/0 is missing); check --study`);
  return version;
}

/**
 * `fedaln-site pull --study ID --version N|latest`: an unreleased global model over REST, its
 * sha256 checked against the coordinator's `X-Content-SHA256` only: it carries no signature, so
 * the output says so. Writes the tfjs layers-format directory, which `predict --model` reads only
 * with `--allow-unsigned`.
 *
 * @example await pullGlobalModel(cmd, { study: id, version: 'latest' }, http, log);
 */
export async function pullGlobalModel(
  cmd: PullCommand,
  source: { study: string; version: number | 'latest' },
  http: CoordinatorHttp,
  log: (line: string) => void,
): Promise<number> {
  const base = `/api/studies/${encodeURIComponent(source.study)}/models`;
  const version = source.version === 'latest' ? await latestVersion(http, base) : source.version;
  const res = await http.request(`${base}/${version}`);
  if (!res.ok) {
    const body = await res.text();
    throw new Error(
      `GET ${base}/${version}: HTTP ${res.status} ${body.slice(0, 300)}; check --token, --study and --version`,
    );
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const actual = createHash('sha256').update(bytes).digest('hex');
  const announced = res.headers.get('x-content-sha256');
  if (announced === null || announced !== actual) {
    throw new Error(
      `model v${version} hashes to ${actual}, the coordinator announced ${announced ?? 'nothing'}; not written`,
    );
  }
  const out = path.resolve(cmd.out);
  const inputSize = cmd.inputSize ?? DEFAULT_INPUT_SIZE;
  await selectEngine(undefined, log); // rebuilding the architecture to save it needs a ready tfjs backend
  const recognised = await blobToLayersDir(bytes, out, { inputSize });
  log(`model v${version} (${recognised.arch}, sha256 ${actual}) written to ${out} at ${inputSize} px`);
  log(
    `UNSIGNED: global model v${version} of study ${source.study} is not a release; no signature was checked, ` +
      'only the sha256 the coordinator announced. Do not use it for patients; pull a release (without --version) for that. ' +
      'predict and evaluate use this folder only with --allow-unsigned.',
  );
  return 0;
}
