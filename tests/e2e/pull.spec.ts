/**
 * `fedaln-site pull` (the built bin) against the built coordinator with a released round: it pins
 * the coordinator key, verifies the release and writes a model `predict` accepts; a tampered
 * weights file (served by a proxy in front of the coordinator) or a different pinned key is refused
 * with exit 1 and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runReleaseStudy, type ReleaseStudy } from './support/release-study';
import { tamperingProxy } from './support/tampering-proxy';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '../..');
const SITE_BIN = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-pull-'));
let study: ReleaseStudy;
let release: { version: number; weights_sha256: string; signature: string };
let coordinatorKey = '';

interface Result {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the built `fedaln-site` to its end (asynchronously: the tampering proxy lives in this process). */
function site(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const env = { ...process.env, FEDALN_ENGINE: 'auto' };
    execFile(process.execPath, [SITE_BIN, ...args], { cwd: tmp, env }, (error, out, err) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, out, err }),
    );
  });
}

function pull(coordinator: string, out: string, workDir: string, extra: string[] = []): Promise<Result> {
  const token = study.tokens[0]!;
  return site([
    'pull',
    '--coordinator',
    coordinator,
    '--token',
    token,
    '--out',
    out,
    '--work-dir',
    workDir,
    ...extra,
  ]);
}

/** The weights with their last byte flipped. */
const flipLast = (body: Buffer): Buffer => {
  const copy = Buffer.from(body);
  copy[copy.length - 1]! ^= 1;
  return copy;
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Another coordinator's key, in the format of GET /api/keys (base64 of the raw 32 bytes). */
function otherKey(): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64'); // SPKI for Ed25519 ends with the raw key (RFC 8410)
}

beforeAll(async () => {
  study = await runReleaseStudy({
    name: 'e2e pull',
    rounds: 1,
    sites: [
      { name: 'Hospital A', nTrain: 60, nTest: 60, separation: () => 1.6 },
      { name: 'Hospital B', nTrain: 60, nTest: 60, separation: () => 1.4 },
    ],
    policy: { min_site_auc: 0.5, min_pooled_auc: 0.5, dca_range: [0.3, 0.5], min_sites_passing: 1 },
  });
  // The policy above passes (both AUCs ≈ 0.85 over 0.5), so the lead releases without an override.
  const released = await study.api('POST', `/api/studies/${study.studyId}/releases`, { round: 1 });
  if (released.status !== 201) throw new Error(`releasing: ${JSON.stringify(released.json)}`);
  release = released.json;
  coordinatorKey = (await study.api('GET', '/api/keys')).json.ed25519_public_key;
  const gen = spawnSync(process.execPath, [
    path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
    ...['--sites', '1', '--cases', '6', '--size', '32', '--seed', '11', '--out', path.join(tmp, 'phantom')],
  ]);
  expect(gen.status).toBe(0);
});
afterAll(async () => {
  await study?.stop();
});

describe('fedaln-site pull of a signed release', () => {
  const work = path.join(tmp, 'work');

  it('pins the key, verifies the release and writes a model predict accepts', async () => {
    const out = path.join(tmp, 'model');
    const r = await pull(study.coordinator.baseUrl, out, work);
    if (r.code !== 0) throw new Error(`exit ${r.code}; stderr:\n${r.err}`);
    expect(r.out).toContain(`release v${release.version} `);
    expect(r.out).toContain(`sha256 ${release.weights_sha256}: signature verified`);
    const pinned = JSON.parse(fs.readFileSync(path.join(work, 'coordinator-key.json'), 'utf8'));
    expect(pinned.ed25519_public_key).toBe(coordinatorKey);
    // The study was created at 32 px (support/release-study.ts); the release record carries that to pull.
    const modelJson = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(JSON.stringify(modelJson.modelTopology)).toContain('[null,32,32,3]');

    const images = fs
      .readdirSync(path.join(tmp, 'phantom/site1/images'))
      .map((f) => path.join(tmp, 'phantom/site1/images', f));
    const preds = path.join(tmp, 'preds.csv');
    const predict = await site(['predict', '--model', out, '--work-dir', work, '--out', preds, ...images]);
    if (predict.code !== 0) throw new Error(`predict exit ${predict.code}; stderr:\n${predict.err}`);
    const [header, ...rows] = fs.readFileSync(preds, 'utf8').trim().split('\n');
    expect(header).toBe('image,probability');
    expect(rows.map((row) => row.split(',')[0])).toEqual(images);
    rows.forEach((row) => {
      const p = Number(row.split(',')[1]);
      expect(p >= 0 && p <= 1).toBe(true);
    });
  });

  it('refuses weights altered in transit, and weights whose published hash was swapped to match', async () => {
    const weightsUrl = `/api/releases/${release.version}/weights`;
    const tampered = await tamperingProxy(study.coordinator.baseUrl, (url, body) =>
      url === weightsUrl ? flipLast(body) : body,
    );
    const out = path.join(tmp, 'model-tampered');
    try {
      const r = await pull(tampered.url, out, path.join(tmp, 'work-tampered'));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`REFUSED: release v${release.version} weights hash to`);
      expect(r.err).toContain('altered or truncated');
      expect(r.err).toContain('Do not use this model: report it to the consortium lead');
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      await tampered.close();
    }

    // A mirror that also rewrites the release record's hash to match changes nothing: pull takes the
    // hash from the signed manifest, not from the record.
    const genuine = await fetch(study.coordinator.baseUrl + weightsUrl, {
      headers: { authorization: `Bearer ${study.tokens[0]}` },
    });
    const forgedHash = sha256(flipLast(Buffer.from(await genuine.arrayBuffer())));
    const forged = await tamperingProxy(study.coordinator.baseUrl, (url, body) => {
      if (url === weightsUrl) return flipLast(body);
      if (url === `/api/releases/${release.version}`)
        return Buffer.from(JSON.stringify({ ...JSON.parse(body.toString()), weights_sha256: forgedHash }));
      return body;
    });
    try {
      const r = await pull(forged.url, out, path.join(tmp, 'work-forged'));
      expect(r.code).toBe(1);
      expect(r.err).toContain(`REFUSED: release v${release.version} weights hash to ${forgedHash}, not the`);
      expect(r.err).toContain('of its signed manifest');
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      await forged.close();
    }
  });

  it('refuses a release when the work dir pinned another key, or --public-key differs from the pinned one', async () => {
    const otherWork = path.join(tmp, 'work-other-key');
    fs.mkdirSync(otherWork, { recursive: true });
    const other = otherKey();
    expect(other).not.toBe(coordinatorKey);
    fs.writeFileSync(
      path.join(otherWork, 'coordinator-key.json'),
      JSON.stringify({
        ed25519_public_key: other,
        coordinator: study.coordinator.baseUrl,
        pinned_at: '2026-01-01',
      }),
    );
    const out = path.join(tmp, 'model-other-key');
    const r = await pull(study.coordinator.baseUrl, out, otherWork);
    expect(r.code).toBe(1);
    expect(r.err).toContain('signature does not verify against the pinned coordinator key');
    expect(fs.existsSync(out)).toBe(false);

    // `work` pinned the real key in the first test; a different --public-key is refused before download.
    const explicit = await pull(study.coordinator.baseUrl, out, work, ['--public-key', other]);
    expect(explicit.code).toBe(1);
    expect(explicit.err).toContain(`--public-key ${other} differs from the key pinned in`);
    expect(fs.existsSync(out)).toBe(false);
  });
});
