/**
 * `fedaln-site` end to end: the built coordinator and two built site clients as real processes on
 * phantom data (libs/phantom, 40 cases per site at 32 px) with densenet-tiny. One round completes
 * although the coordinator is SIGKILLed while the sites train and one site is stopped with its
 * update unsent and started again; then `pull` fetches the
 * new global model, `predict` scores images (one unreadable), and `evaluate` reports metrics that
 * must equal `@fedaln/metrics` applied to `predict`'s own probabilities.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { metricsReport } from '@fedaln/metrics';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { Coordinator, freePort } from './support/coordinator';
import { siteProcess, type SiteProcess } from './support/site-process';
import { waitUntil } from './support/processes';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '../..');
const ADMIN = 'e2e-site-client-admin-token-0123456789';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-site-'));
const phantom = path.join(tmp, 'phantom');
let coordinator: Coordinator;
let studyId = '';
const tokens: string[] = [];

type Proc = SiteProcess;
const site = (args: string[]): Proc => siteProcess(args, tmp);

/** Waits for the exit code; on a different one, fails with the process's log. */
async function expectExit(proc: Proc, code: number): Promise<void> {
  const actual = await proc.exit;
  if (actual !== code) throw new Error(`exit ${actual}, expected ${code}; stderr:\n${proc.err()}`);
}

async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(coordinator.baseUrl + url, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** labels.csv of a phantom site: image path → label, for the test split. */
function testSplit(dir: string): { image: string; label: number }[] {
  const [, ...rows] = fs.readFileSync(path.join(dir, 'labels.csv'), 'utf8').trim().split('\n');
  return rows
    .map((r) => r.split(','))
    .filter((f) => f[3] === 'test')
    .map((f) => ({ image: path.join(dir, f[1]!), label: Number(f[2]) }));
}

describe('fedaln-site against the built coordinator', () => {
  beforeAll(async () => {
    const gen = spawnSync(process.execPath, [
      path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
      ...['--sites', '3', '--cases', '40', '--size', '32', '--seed', '7', '--out', phantom],
    ]);
    expect(gen.status).toBe(0);
    const env: NodeJS.ProcessEnv = { FEDALN_ADMIN_TOKEN: ADMIN, DATABASE_URL: '' };
    coordinator = new Coordinator(await freePort(), path.join(tmp, 'coordinator'), env);
    await coordinator.start();
    const ids: string[] = [];
    for (const name of ['Site 1', 'Site 2']) {
      // 40 phantom cases per site, stratified 80/20: the lead approves 32 train and 8 test cases.
      const r = await api('POST', '/api/sites', { name, n_train: 32, n_test: 8 });
      expect(r.status).toBe(201);
      ids.push(String(r.json.id));
      tokens.push(String(r.json.enrolment_token));
    }
    const created = await api(
      'POST',
      '/api/studies',
      exampleStudySpec(ids, { name: 'site-client e2e', rounds: 1, batch_size: 8 }),
    );
    expect(created.status).toBe(201);
    studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);
  });

  afterAll(async () => {
    await coordinator?.kill('SIGTERM');
  });

  it('two sites complete a round across a coordinator restart and a client restart, then exit (--once)', async () => {
    const runSite = (k: number): Proc =>
      site([
        'run',
        ...['--coordinator', coordinator.baseUrl, '--token', tokens[k - 1]!],
        ...['--data', path.join(phantom, `site${k}`), '--work-dir', path.join(tmp, `work${k}`)],
        ...['--arch', 'densenet-tiny', '--input-size', '32', '--once'],
      ]);
    const first = runSite(1);
    const second = runSite(2);
    // Kill the coordinator once both sites have their task and are training.
    await waitUntil(
      'both sites training',
      () => [first, second].every((s) => s.err().includes('round 1: training')),
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await coordinator.kill('SIGKILL');
    // Site 1 finishes training while the coordinator is down: its update waits in the work dir.
    // Stop it there (SIGTERM) and start it again later: it must upload the saved update, not retrain.
    const uploads1 = path.join(tmp, 'work1', 'uploads');
    await waitUntil(
      'site 1 to save its update',
      () => fs.readdirSync(uploads1).some((f) => f.endsWith('.json')),
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    first.child.kill('SIGTERM');
    await expectExit(first, 0);
    expect(first.err()).toContain('SIGTERM: stopping; an unfinished upload stays in');
    await coordinator.start();
    const again = runSite(1);
    await Promise.all([expectExit(again, 0), expectExit(second, 0)]);
    // Kept beside the test's data for reading after a failure.
    [first, again, second].forEach((s, k) =>
      fs.writeFileSync(path.join(tmp, `site-run${k + 1}.log`), s.err()),
    );

    expect(again.err()).toMatch(
      /round 1: resuming the saved upload \(0\.\d MB, frame 0\/1 acknowledged before\)/,
    );
    expect(again.err()).not.toContain('round 1: training');
    expect(second.err()).toMatch(/disconnected \(transport close\); reconnecting in/);
    for (const s of [again, second]) {
      const log = s.err();
      expect(log).toMatch(/usable cases: 40 \(train 32: \d+ positive, \d+ negative; test 8/);
      expect(log).toMatch(/engine \w+: [\d.]+ training images\/s \(densenet-tiny at 32 px\)/);
      expect(log).toMatch(/round 1: update uploaded and accepted \(0\.\d MB, n_train 32\)/);
      expect(log).toMatch(/round 1: evaluated v1 on 8 test cases, AUC/);
    }
    const round = await api('GET', `/api/studies/${studyId}/rounds/1`);
    expect(JSON.stringify(round.json)).toContain('"completed"');
    // The saved upload is gone once the coordinator accepted it.
    expect(fs.readdirSync(uploads1)).toEqual([]);
  });

  it('pull --version latest writes the latest global; predict and evaluate agree with @fedaln/metrics', async () => {
    const modelDir = path.join(tmp, 'model-latest');
    const pull = site([
      'pull',
      '--coordinator',
      coordinator.baseUrl,
      '--token',
      tokens[0]!,
      '--study',
      studyId,
    ]);
    void pull; // needs --out: the run below is the real one
    expect(await pull.exit).toBe(2);
    expect(pull.err()).toContain('--out is required');
    const pulled = site([
      'pull',
      ...['--coordinator', coordinator.baseUrl, '--token', tokens[0]!, '--study', studyId],
      ...['--out', modelDir, '--input-size', '32', '--version', 'latest'], // no release: the global model
    ]);
    await expectExit(pulled, 0);
    expect(pulled.err()).toMatch(/model v1 \(densenet-tiny, sha256 [0-9a-f]{64}\) written to/);
    expect(pulled.err()).toContain('UNSIGNED: global model v1');
    expect(fs.existsSync(path.join(modelDir, 'model.json'))).toBe(true);

    const cases = testSplit(path.join(phantom, 'site3'));
    const broken = path.join(tmp, 'broken.png');
    fs.writeFileSync(broken, 'not a png');
    const preds = path.join(tmp, 'preds.csv');
    const predict = site([
      'predict',
      // A global model is not a signed release: predict and evaluate use it only when told to.
      ...['--model', modelDir, '--allow-unsigned', '--out', preds, '--batch', '3'],
      ...cases.map((c) => c.image),
      broken,
    ]);
    expect(await predict.exit).toBe(1); // one image failed, the others were scored
    expect(predict.err()).toContain(`1 of ${cases.length + 1} images could not be read: ${broken}`);
    expect(predict.err()).toContain(
      `WARNING: --allow-unsigned: model ${modelDir} is not a verified signed release`,
    );
    const [header, ...rows] = fs.readFileSync(preds, 'utf8').trim().split('\n');
    expect(header).toBe('image,probability');
    expect(rows.map((r) => r.split(',')[0])).toEqual(cases.map((c) => c.image));
    const probabilities = rows.map((r) => Number(r.split(',')[1]));
    probabilities.forEach((p) => expect(p >= 0 && p <= 1).toBe(true));

    const evaluate = site([
      ...['evaluate', '--model', modelDir, '--allow-unsigned'],
      ...['--data', path.join(phantom, 'site3'), '--json'],
    ]);
    await expectExit(evaluate, 0);
    const report = JSON.parse(evaluate.out()) as ReturnType<typeof metricsReport>;
    // Reference: libs/metrics on predict's probabilities and labels.csv's test split.
    const expected = metricsReport({ labels: cases.map((c) => c.label), scores: probabilities });
    expect(report.n).toBe(expected.n);
    expect(report.n_pos).toBe(expected.n_pos);
    expect(report.auc).toBeCloseTo(expected.auc!, 6);
    expect(report.brier).toBeCloseTo(expected.brier!, 6);
  });

  it('a wrong token ends run with exit 1 and the fix', async () => {
    const bad = site([
      'run',
      ...[
        '--coordinator',
        coordinator.baseUrl,
        '--token',
        'not-a-token',
        '--data',
        path.join(phantom, 'site3'),
      ],
      ...['--work-dir', path.join(tmp, 'work-bad'), '--arch', 'densenet-tiny', '--input-size', '32'],
    ]);
    expect(await bad.exit).toBe(1);
    expect(bad.err()).toContain('the coordinator refused the enrolment token (unauthenticated');
    expect(bad.err()).toContain('ask the lead for a new one');
  });

  it('run stops before connecting when nothing in the data folder is usable, and says how to fix it', async () => {
    const dir = path.join(tmp, 'unusable');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'labels.csv'),
      'case_id,image,aln_metastasis\na,missing.png,1\nb,x.png,2\n',
    );
    const run = site([
      'run',
      ...['--coordinator', coordinator.baseUrl, '--token', tokens[0]!, '--data', dir],
      ...['--work-dir', path.join(tmp, 'work-unusable')],
    ]);
    await expectExit(run, 1);
    expect(run.err()).toContain('labels.csv line 3 (b): aln_metastasis is "2", expected 0 or 1');
    expect(run.err()).toMatch(/labels\.csv line 2 \(a\): cannot decode image .*missing\.png/);
    expect(run.err()).toContain(`nothing usable in ${dir}`);
    expect(run.err()).not.toContain('engine');
  });
});
