import { blobToLayersDir, selectEngine } from '@fedaln/model';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { PullCommand } from '../cli/parse-command';

/** GET with the site token; `fetch` (Node 20) follows the coordinator's REST API. */
async function get(url: string, token: string, method: 'GET' | 'HEAD'): Promise<Response> {
  try {
    return await fetch(url, { method, headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(
      `cannot reach ${url} (${(err as Error).cause ?? (err as Error).message}); check --coordinator`,
    );
  }
}

/** The newest model version, found by asking for versions 0, 1, 2, … until one is missing. */
async function latestVersion(base: string, token: string): Promise<number> {
  let version = -1;
  for (;;) {
    const res = await get(`${base}/${version + 1}`, token, 'HEAD');
    if (res.status === 404) break;
    if (!res.ok)
      throw new Error(`HEAD ${base}/${version + 1}: HTTP ${res.status}; check --token and --study`);
    version++;
  }
  if (version < 0) throw new Error(`study has no model yet (${base}/0 is missing); check --study`);
  return version;
}

/**
 * `fedaln-site pull`: downloads a global model over REST with the site token, checks its sha256
 * against the coordinator's `X-Content-SHA256`, and writes it as a tfjs layers-format directory
 * that `fedaln-site predict --model` reads. Returns the exit code.
 */
export async function pullCommand(cmd: PullCommand, log: (line: string) => void): Promise<number> {
  const base = `${cmd.coordinator}/api/studies/${encodeURIComponent(cmd.study)}/models`;
  const version = cmd.version === 'latest' ? await latestVersion(base, cmd.token) : cmd.version;
  const res = await get(`${base}/${version}`, cmd.token, 'GET');
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
  await selectEngine(undefined, log); // rebuilding the architecture to save it needs a ready tfjs backend
  const recognised = await blobToLayersDir(bytes, out, { inputSize: cmd.inputSize });
  log(`model v${version} (${recognised.arch}, sha256 ${actual}) written to ${out} at ${cmd.inputSize} px`);
  return 0;
}
