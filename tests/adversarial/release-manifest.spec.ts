/**
 * Issue 14 (signed release manifests): an attacker on the network between a site and its
 * coordinator — a proxy that rewrites responses (tests/e2e/support/tampering-proxy.ts) — serves
 * (a) an older signed release as the latest, (b) a policy-failed release, (c) a release of another
 * study, (d) a release whose manifest has an altered field, and (e) a release with its manifest
 * stripped. The site client before issue 14 checked only the Ed25519 signature over the weights'
 * sha256 and took version, study and verdict from unsigned JSON: it pulled all five (exit 0). Now
 * each is refused, and nothing is written. `predict` and `evaluate` refuse a model folder that is
 * unsigned or tampered, and use it with `--allow-unsigned` after a warning.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { encodeReleaseManifest, parseReleaseManifest } from '@fedaln/protocol';
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADMIN, runReleaseStudy, type ReleaseStudy } from '../e2e/support/release-study';
import { tamperingProxy } from '../e2e/support/tampering-proxy';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '../..');
const SITE_BIN = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-adv-manifest-'));
const PASSING = { min_site_auc: 0.5, min_pooled_auc: 0.5, dca_range: [0.3, 0.5], min_sites_passing: 1 };

let a: ReleaseStudy; // study A: releases v1 (round 1) and v2 (round 2); the site under attack is in A
let b: ReleaseStudy; // study B on the same coordinator: release v3
let images: string[] = [];
/** The work dir that pulled v2 of study A from the real coordinator (knows A and v2). */
const seenWork = path.join(tmp, 'work-seen');
const goodModel = path.join(tmp, 'model-v2');

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function site(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SITE_BIN, ...args], { cwd: tmp }, (error, out, err) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, out, err }),
    );
  });
}

function pull(coordinator: string, out: string, workDir: string, extra: string[] = []): Promise<Result> {
  return site([
    ...['pull', '--coordinator', coordinator, '--token', a.tokens[0]!],
    ...['--out', out, '--work-dir', workDir, ...extra],
  ]);
}

/** A resource as the lead reads it (the attacker had it from anywhere: another site, a mirror). */
async function adminGet(url: string): Promise<Buffer> {
  const res = await fetch(a.coordinator.baseUrl + url, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const json = (body: Buffer) => JSON.parse(body.toString()) as Record<string, unknown>;
const asBody = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Runs `attack` against a proxy in front of A's coordinator that applies `tamper`. */
async function throughProxy<T>(
  tamper: Parameters<typeof tamperingProxy>[1],
  attack: (url: string) => Promise<T>,
): Promise<T> {
  const proxy = await tamperingProxy(a.coordinator.baseUrl, tamper);
  try {
    return await attack(proxy.url);
  } finally {
    await proxy.close();
  }
}

function expectRefused(r: Result, out: string, reason: string): void {
  if (r.code !== 1) throw new Error(`expected a refusal (exit 1), got exit ${r.code}; stderr:\n${r.err}`);
  expect(r.err).toContain('fedaln-site pull: REFUSED: ');
  expect(r.err).toContain(reason);
  expect(fs.existsSync(out)).toBe(false);
}

beforeAll(async () => {
  a = await runReleaseStudy({
    name: 'adversarial manifest A',
    rounds: 2,
    sites: [
      { name: 'Hospital A', nTrain: 60, nTest: 60, separation: () => 1.6 },
      { name: 'Hospital B', nTrain: 60, nTest: 60, separation: () => 1.4 },
    ],
    policy: PASSING,
  });
  b = await runReleaseStudy({
    name: 'adversarial manifest B',
    rounds: 1,
    sites: [{ name: 'Hospital C', nTrain: 60, nTest: 60, separation: () => 1.5 }],
    policy: PASSING,
    on: a,
  });
  // Both policies pass (AUCs ≈ 0.85 over 0.5): the lead releases without an override.
  for (const [s, round] of [
    [a, 1],
    [a, 2],
    [b, 1],
  ] as const) {
    const r = await s.api('POST', `/api/studies/${s.studyId}/releases`, { round });
    if (r.status !== 201) throw new Error(`releasing: ${JSON.stringify(r.json)}`);
  }
  const gen = spawnSync(process.execPath, [
    path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
    ...['--sites', '1', '--cases', '6', '--size', '32', '--seed', '11', '--out', path.join(tmp, 'phantom')],
  ]);
  expect(gen.status).toBe(0);
  const dir = path.join(tmp, 'phantom/site1/images');
  images = fs.readdirSync(dir).map((f) => path.join(dir, f));
  // The honest baseline: the site pulls the latest release of A (v2) from the coordinator itself.
  const r = await pull(a.coordinator.baseUrl, goodModel, seenWork);
  if (r.code !== 0) throw new Error(`the honest pull failed: exit ${r.code}\n${r.err}`);
  expect(r.out).toContain(`release v2 (study ${a.studyId}, round 2) sha256 `);
  expect(r.out).toContain('passed the release policy');
}, 300_000);

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('what the attacker has to work with', () => {
  it("each study's signed releases form a hash chain: A's v2 links A's v1; v1 and B's v3 start their chains", async () => {
    const m = async (v: number) => {
      const r = json(await adminGet(`/api/releases/${v}`));
      return { sha256: r.manifest_sha256, manifest: parseReleaseManifest(r.manifest as string) };
    };
    const [v1, v2, v3] = [await m(1), await m(2), await m(3)];
    expect(v1.manifest).toMatchObject({ study_id: a.studyId, version: 1, previous_manifest_sha256: null });
    expect(v2.manifest).toMatchObject({
      study_id: a.studyId,
      version: 2,
      previous_manifest_sha256: v1.sha256,
    });
    expect(v3.manifest).toMatchObject({ study_id: b.studyId, version: 3, previous_manifest_sha256: null });
  });
});

describe('pull refuses what an attacker on the network serves (issue 14)', () => {
  it('(a) an older signed release offered as the latest: refused once a newer one was seen', async () => {
    const hideV2 = (url: string, body: Buffer) =>
      url === '/api/releases'
        ? asBody((json(body) as unknown as { version: number }[]).filter((r) => r.version !== 2))
        : body;
    const out = path.join(tmp, 'model-a');
    const r = await throughProxy(hideV2, (url) => pull(url, out, seenWork));
    expectRefused(
      r,
      out,
      `offered release v1 as the newest of study ${a.studyId}, but this work dir accepted v2`,
    );
    expect(r.err).toContain('refusing the older one (a rollback)');
    const seen = JSON.parse(fs.readFileSync(path.join(seenWork, 'release-versions.json'), 'utf8'));
    expect(seen[a.studyId]).toMatchObject({ version: 2 });
    // Asked for by number, the older release is the one the user chose, and its manifest proves it is v1.
    const byNumber = await throughProxy(hideV2, (url) => pull(url, out, seenWork, ['--release', '1']));
    if (byNumber.code !== 0) throw new Error(`--release 1: exit ${byNumber.code}\n${byNumber.err}`);
    expect(byNumber.out).toContain(`release v1 (study ${a.studyId}, round 1)`);
    // …and does not lower the newest version seen.
    expect(
      JSON.parse(fs.readFileSync(path.join(seenWork, 'release-versions.json'), 'utf8'))[a.studyId],
    ).toMatchObject({
      version: 2,
    });
  });

  it('(b) a policy-failed release: a signed manifest with verdict fail and no override reason is refused', async () => {
    // The coordinator never signs such a manifest (buildReleaseRecord refuses it); the site does not
    // rely on that: one made here with the coordinator's own key is refused all the same.
    const key = createPrivateKey(
      fs.readFileSync(path.join(a.coordinator.dataDir, 'keys/release-ed25519.pem'), 'utf8'),
    );
    const v1 = json(await adminGet('/api/releases/1'));
    const failed = encodeReleaseManifest({
      ...parseReleaseManifest(v1.manifest as string),
      verdict: 'fail',
      override_reason: null,
    });
    const forged = {
      ...v1,
      verdict: { pass: false, reasons: [{ message: 'pooled AUC 0.52 is below 0.75' }], sites: [] },
      manifest: failed,
      manifest_signature: sign(null, Buffer.from(failed), key).toString('base64'),
    };
    const out = path.join(tmp, 'model-b');
    const r = await throughProxy(
      (url, body) => (url === '/api/releases/1' ? asBody(forged) : body),
      (url) => pull(url, out, path.join(tmp, 'work-b'), ['--release', '1']),
    );
    expectRefused(r, out, 'failed the release policy and carries no override reason from the lead');
  });

  it('(c) a release of another study, passed off as this study’s: refused by the signed study id', async () => {
    const v3 = json(await adminGet('/api/releases/3'));
    const weights = await adminGet('/api/releases/3/weights');
    expect(v3.study_id).toBe(b.studyId);
    const disguised = { ...v3, study_id: a.studyId };
    const serveB = (url: string, body: Buffer) => {
      if (url === '/api/releases') return asBody([disguised, ...(json(body) as unknown as unknown[])]);
      if (url === '/api/releases/3') return { status: 200, body: asBody(disguised) };
      if (url === '/api/releases/3/weights') return { status: 200, body: weights };
      return body;
    };
    const out = path.join(tmp, 'model-c');
    const flagged = await throughProxy(serveB, (url) =>
      pull(url, out, path.join(tmp, 'work-c'), ['--study', a.studyId]),
    );
    expectRefused(
      flagged,
      out,
      `release v3 belongs to study ${b.studyId} (its signed manifest says so), not ${a.studyId}`,
    );
    expect(flagged.err).toContain('given with --study');
    // Without --study, the study is the one this work dir pulled before.
    const remembered = await throughProxy(serveB, (url) => pull(url, out, seenWork));
    expectRefused(remembered, out, `not ${a.studyId} (the study this work dir pulled before`);
  });

  it('(d) a manifest with an altered field (input size): its signature no longer verifies', async () => {
    const v2 = json(await adminGet('/api/releases/2'));
    const altered = {
      ...v2,
      model: { arch: 'densenet-tiny', input_size: 64 },
      manifest: (v2.manifest as string).replace('"input_size":32', '"input_size":64'),
    };
    expect(altered.manifest).not.toBe(v2.manifest);
    const out = path.join(tmp, 'model-d');
    const r = await throughProxy(
      (url, body) => (url === '/api/releases/2' ? asBody(altered) : body),
      (url) => pull(url, out, path.join(tmp, 'work-d')),
    );
    expectRefused(
      r,
      out,
      "release v2: the release manifest's signature does not verify against the pinned coordinator key",
    );
  });

  it('(e) a release with its manifest stripped: refused unless --allow-unsigned, then pulled with a warning', async () => {
    const strip = (url: string, body: Buffer) =>
      url === '/api/releases/2' ? asBody({ ...json(body), manifest: null, manifest_signature: null }) : body;
    const out = path.join(tmp, 'model-e');
    const r = await throughProxy(strip, (url) => pull(url, out, path.join(tmp, 'work-e')));
    expectRefused(r, out, 'release v2 has no signed release manifest');
    const allowed = await throughProxy(strip, (url) =>
      pull(url, out, path.join(tmp, 'work-e'), ['--allow-unsigned']),
    );
    if (allowed.code !== 0) throw new Error(`--allow-unsigned: exit ${allowed.code}\n${allowed.err}`);
    expect(allowed.err).toContain('WARNING: --allow-unsigned: release v2 has no signed manifest');
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'release-manifest.json'))).toBe(false);
  });
});

describe('predict and evaluate verify the model folder (issue 14)', () => {
  const predict = (model: string, extra: string[] = []) =>
    site(['predict', '--model', model, '--work-dir', seenWork, ...extra, ...images]);

  /** A copy of the honestly pulled folder with `change` applied. */
  function tamperedCopy(name: string, change: (dir: string) => void): string {
    const dir = path.join(tmp, name);
    fs.cpSync(goodModel, dir, { recursive: true });
    change(dir);
    return dir;
  }

  it('use a pulled signed release', async () => {
    const r = await predict(goodModel);
    if (r.code !== 0) throw new Error(`predict: exit ${r.code}\n${r.err}`);
    expect(r.err).toContain(`release v2 of study ${a.studyId} (round 2, passed the release policy)`);
    expect(r.err).toContain(
      'manifest signature and weights sha256 verified against the pinned coordinator key',
    );
    expect(r.out.trim().split('\n')).toHaveLength(images.length + 1);
  });

  it('refuse altered weights, an altered manifest and an unsigned folder; --allow-unsigned uses them with a warning', async () => {
    const weights = tamperedCopy('model-weights-flipped', (dir) => {
      const file = path.join(dir, 'weights.fedaln');
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 1]! ^= 1;
      fs.writeFileSync(file, bytes);
    });
    const manifest = tamperedCopy('model-manifest-altered', (dir) => {
      const file = path.join(dir, 'release-manifest.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('\\"round\\":2', '\\"round\\":1'));
    });
    const unsigned = path.join(tmp, 'model-e'); // pulled with --allow-unsigned in (e): no manifest
    const cases: [string, string][] = [
      [weights, `weights.fedaln hashes to`],
      [manifest, "the release manifest's signature does not verify against the pinned coordinator key"],
      [unsigned, 'has no release-manifest.json: it is not a model pulled from a signed release'],
    ];
    for (const [dir, reason] of cases) {
      const refused = await predict(dir);
      expect({ dir, code: refused.code }).toEqual({ dir, code: 1 });
      expect(refused.err).toContain(`REFUSED model ${dir}: `);
      expect(refused.err).toContain(reason);
      expect(refused.out).toBe('');
      const allowed = await predict(dir, ['--allow-unsigned']);
      expect({ dir, code: allowed.code }).toEqual({ dir, code: 0 });
      expect(allowed.err).toContain(
        `WARNING: --allow-unsigned: model ${dir} is not a verified signed release (`,
      );
      expect(allowed.out.trim().split('\n')).toHaveLength(images.length + 1);
    }
    const data = path.join(tmp, 'phantom/site1');
    const evaluate = await site([
      'evaluate',
      '--model',
      weights,
      '--work-dir',
      seenWork,
      '--data',
      data,
      '--split',
      'all',
    ]);
    expect(evaluate.code).toBe(1);
    expect(evaluate.err).toContain(`REFUSED model ${weights}: `);
    const allowed = await site([
      ...['evaluate', '--model', weights, '--work-dir', seenWork, '--data', data, '--split', 'all'],
      '--allow-unsigned',
    ]);
    expect(allowed.code).toBe(0);
    expect(allowed.err).toContain('WARNING: --allow-unsigned');
  });

  it('refuse a signed folder when no coordinator key is pinned in --work-dir', async () => {
    const r = await site([
      'predict',
      '--model',
      goodModel,
      '--work-dir',
      path.join(tmp, 'empty-work'),
      ...images,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no coordinator key is pinned in');
  });
});
