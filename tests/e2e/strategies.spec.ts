/**
 * Strategies in the real federation (issue 15; README "Strategies"): the built coordinator and two
 * built `fedaln-site run` processes on phantom data (40 cases per site at 32 px, densenet-tiny) run
 * four one- or two-round studies in turn with the same sites, seeds and initial model:
 * - fedavg, then fedadam: the FedAdam study's version 1 equals `fedAdamStep` (@fedaln/aggregation)
 *   applied to the FedAvg study's mean update (version 1 − version 0; site training is seeded, so both
 *   studies' sites send the same updates);
 * - fedbn (2 rounds): the global's BatchNorm tensors are those of version 0 after both rounds, each
 *   site's work dir keeps BatchNorm tensors that differ from them (and from the other site's), and the
 *   sites put theirs back before round 2 and before each evaluation;
 * - fedprox: the sites train with the task's μ and the study completes.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { fedAdamStep } from '@fedaln/aggregation';
import { decodeBlob, isBatchNormWeightName, type NamedTensor } from '@fedaln/protocol';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { adminApi, Coordinator, freePort, globalModel } from './support/coordinator';
import { blobToLayersDir, readLayersFormatWeights } from '@fedaln/model';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { SITE_BIN, siteProcess, type SiteProcess } from './support/site-process';
import { waitUntil } from './support/processes';

jest.setTimeout(400_000);

const ROOT = path.join(__dirname, '../..');
const ADMIN = 'e2e-strategies-admin-token-0123456789';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-strategies-'));
const phantom = path.join(tmp, 'phantom');
let coordinator: Coordinator;
const api = (method: string, url: string, body?: unknown) =>
  adminApi(coordinator.baseUrl, ADMIN, method, url, body);

const blobOf = (studyId: string, version: number) =>
  globalModel(coordinator.baseUrl, ADMIN, studyId, version);
const modelOf = async (studyId: string, version: number): Promise<NamedTensor[]> =>
  decodeBlob(await blobOf(studyId, version));
const site = (args: string[]) =>
  spawnSync(process.execPath, [SITE_BIN, ...args], { cwd: tmp, encoding: 'utf8' });

const same = (a: NamedTensor, b: NamedTensor) => a.values.every((v, i) => v === b.values[i]);

describe('strategies in the federation', () => {
  const sites: SiteProcess[] = [];
  const ids: string[] = [];

  /** Creates and starts a study of the two sites, waits until it completes; its id. */
  async function runStudy(patch: Record<string, unknown>): Promise<string> {
    const spec = exampleStudySpec(ids, { rounds: 1, data_source: 'phantom', ...patch });
    const created = await api('POST', '/api/studies', spec);
    expect(created.status).toBe(201);
    const studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);
    await waitUntil(
      `study ${String(patch.name)} to complete`,
      async () => {
        const study = await api('GET', `/api/studies/${studyId}`);
        if (study.json.status === 'failed') throw new Error(`study failed: ${JSON.stringify(study.json)}`);
        return study.json.status === 'completed';
      },
      { timeoutMs: 240_000 },
    );
    return studyId;
  }

  beforeAll(async () => {
    const gen = spawnSync(process.execPath, [
      path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
      ...['--sites', '2', '--cases', '40', '--size', '32', '--seed', '11', '--out', phantom],
    ]);
    expect(gen.status).toBe(0);
    coordinator = new Coordinator(await freePort(), path.join(tmp, 'coordinator'), {
      FEDALN_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: '',
    });
    await coordinator.start(180_000); // the machine may be busy: a slow start is not what this test checks
    const tokens: string[] = [];
    for (const name of ['strategy site 1', 'strategy site 2']) {
      const r = await api('POST', '/api/sites', { name, n_train: 32, n_test: 8 });
      expect(r.status).toBe(201);
      ids.push(String(r.json.id));
      tokens.push(String(r.json.enrolment_token));
    }
    tokens.forEach((token, i) =>
      sites.push(
        siteProcess(
          [
            'run',
            ...['--coordinator', coordinator.baseUrl, '--token', token],
            ...['--data', path.join(phantom, `site${i + 1}`), '--work-dir', path.join(tmp, `work${i + 1}`)],
            ...['--arch', 'densenet-tiny', '--input-size', '32'],
          ],
          tmp,
        ),
      ),
    );
  });

  afterAll(async () => {
    sites.forEach((s, k) => fs.writeFileSync(path.join(tmp, `site${k + 1}.log`), s.err()));
    for (const s of sites) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(sites.map((s) => s.exit));
    await coordinator?.kill('SIGTERM');
  });

  it('fedadam: the global is the server optimizer applied to the FedAvg mean update', async () => {
    const fedavg = await runStudy({ name: 'fedavg e2e' });
    const adam = { server_learning_rate: 0.01, beta1: 0.9, beta2: 0.99, tau: 0.001 };
    const fedadam = await runStudy({ name: 'fedadam e2e', strategy: { name: 'fedadam', ...adam } });
    const [v0, avg1, adam0, adam1] = await Promise.all([
      modelOf(fedavg, 0),
      modelOf(fedavg, 1),
      modelOf(fedadam, 0),
      modelOf(fedadam, 1),
    ]);
    expect(adam0.every((t, k) => same(t, v0[k]!))).toBe(true); // same seed, same initial model
    let moved = 0;
    let maxError = 0;
    v0.forEach((t, k) => {
      const mean = t.values.map((g, i) => avg1[k]!.values[i]! - g);
      const want = fedAdamStep(t.values, mean, null, {
        learningRate: adam.server_learning_rate,
        beta1: adam.beta1,
        beta2: adam.beta2,
        tau: adam.tau,
      }).global;
      adam1[k]!.values.forEach((v, i) => {
        maxError = Math.max(maxError, Math.abs(v - want[i]!));
        if (Math.abs(v - avg1[k]!.values[i]!) > 1e-4) moved++;
      });
    });
    // v1 − v0 recovers the mean to float32 rounding of v0 (≈ 3e-8); FedAdam's first step amplifies it by at most η·(1−β1)/τ = 1.
    expect(maxError).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(0); // not FedAvg
  });

  it('fedbn: BatchNorm stays at each site; the global’s is version 0’s after two rounds', async () => {
    const studyId = await runStudy({ name: 'fedbn e2e', rounds: 2, strategy: { name: 'fedbn' } });
    const [v0, v1, v2] = (await Promise.all([0, 1, 2].map((v) => modelOf(studyId, v)))) as [
      NamedTensor[],
      NamedTensor[],
      NamedTensor[],
    ];
    const bn = (m: NamedTensor[]) => m.filter((t) => isBatchNormWeightName(t.name));
    expect(bn(v0).length).toBeGreaterThan(0);
    expect(bn(v1).every((t, k) => same(t, bn(v0)[k]!))).toBe(true);
    expect(bn(v2).every((t, k) => same(t, bn(v0)[k]!))).toBe(true);
    // The shared weights did move.
    const shared = (m: NamedTensor[]) => m.filter((t) => !isBatchNormWeightName(t.name));
    expect(shared(v2).some((t, k) => !same(t, shared(v0)[k]!))).toBe(true);
    const local = [1, 2].map((k) =>
      decodeBlob(fs.readFileSync(path.join(tmp, `work${k}`, 'batchnorm', `${studyId}.blob`))),
    );
    for (const kept of local) {
      expect(kept.map((t) => t.name)).toEqual(bn(v0).map((t) => t.name));
      expect(kept.some((t, k) => !same(t, bn(v0)[k]!))).toBe(true);
    }
    expect(local[0]!.some((t, k) => !same(t, local[1]![k]!))).toBe(true);
    for (const s of sites) {
      const restored = s
        .err()
        .split('\n')
        .filter((l) => l.includes("FedBN, this site's BatchNorm weights restored"));
      // Round 1's evaluation, round 2's training and round 2's evaluation.
      expect(restored.length).toBeGreaterThanOrEqual(3);
      expect(s.err()).toContain('strategy fedbn');
    }

    // A new site adapts the shared model's BatchNorm to its own unlabelled images (AdaBN), then predicts.
    const shared2 = path.join(tmp, 'fedbn-v2');
    await tf.setBackend('cpu');
    await blobToLayersDir(await blobOf(studyId, 2), shared2, { inputSize: 32 });
    const images = path.join(phantom, 'site2', 'images');
    const adaptedDir = path.join(tmp, 'fedbn-v2-adapted');
    const adapt = (data: string, out: string) =>
      site([
        'adapt',
        '--model',
        shared2,
        '--data',
        data,
        '--out',
        out,
        '--allow-unsigned',
        '--work-dir',
        path.join(tmp, 'work-new'),
      ]);
    const adapted = adapt(images, adaptedDir);
    expect(adapted.stderr).toContain('BatchNorm statistics re-estimated on 40 images');
    expect(adapted.status).toBe(0);
    const after = await readLayersFormatWeights(adaptedDir);
    const byName = new Map(v2.map((t) => [t.name, t]));
    const stats = after.filter((t) => /\/moving_(mean|variance)$/.test(t.name));
    expect(stats.length).toBe(bn(v0).length / 2);
    expect(stats.every((t) => !same(t, byName.get(t.name)!))).toBe(true);
    expect(
      after
        .filter((t) => !/\/moving_(mean|variance)$/.test(t.name))
        .every((t) => same(t, byName.get(t.name)!)),
    ).toBe(true);
    const predicted = site([
      'predict',
      '--model',
      adaptedDir,
      '--allow-unsigned',
      '--work-dir',
      path.join(tmp, 'work-new'),
      path.join(images, fs.readdirSync(images)[0]!),
    ]);
    expect(predicted.status).toBe(0);
    expect(predicted.stdout).toMatch(/^image,probability\n.+,0\.\d+/);
    // Refusals name the flag to fix.
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const none = adapt(empty, path.join(tmp, 'never'));
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`--data ${empty} holds no .png, .jpg, .jpeg or .dcm image`);
    const again = adapt(images, adaptedDir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`--out ${adaptedDir} already holds files`);
  });

  it('fedprox: the sites train with the study’s μ and the study completes', async () => {
    await runStudy({ name: 'fedprox e2e', strategy: { name: 'fedprox', mu: 0.05 } });
    for (const s of sites) expect(s.err()).toContain('strategy fedprox mu 0.05');
  });
});
