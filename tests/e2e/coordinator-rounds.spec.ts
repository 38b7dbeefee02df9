import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  decodeBlob,
  encodeBlob,
  MONITOR_NAMESPACE,
  MonitorEvent,
  type MonitorClientToServerEvents,
  type MonitorServerToClientEvents,
  type NamedTensor,
  type SiteMetricsReport,
  type SiteStatusEvent,
  type TrainingProgressEvent,
} from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { adminApi, Coordinator, freePort } from './support/coordinator';
import { freshDatabase, type FreshDatabase } from './support/fresh-database';
import { connectMonitor } from './support/monitor';
import { reportOf } from './support/release-study';
import { connectSite, expectOk, ScriptedSite } from './support/site-client';
import { waitUntil } from './support/processes';

jest.setTimeout(180_000);

const ADMIN = 'e2e-admin-token-0123456789abcdef';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-rounds-'));
let coordinator: Coordinator;
let database: FreshDatabase;
const N_TRAIN = [120, 80, 50];
/** Test cases in each site's report (metrics()). */
const REPORTED_N = 25;
const tokens: string[] = [];
let outsiderToken = '';
let studyId = '';
const siteIds: string[] = [];

/** Park–Miller minimal standard generator, seeded per (round, site). */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/**
 * A synthetic update: every value k / 2²⁰ with integer |k| ≤ 2000. Then nᵢ·δᵢ and their sums are
 * exact in float64 (far below 2⁵³ units of 2⁻²⁰), which makes the independent reference below
 * bit-comparable with the coordinator's exact accumulator (`readTwoLimb`: f32(g + S/W)).
 */
function syntheticDelta(global: readonly NamedTensor[], seed: number): NamedTensor[] {
  const next = prng(seed);
  return global.map((t) => ({
    name: t.name,
    shape: t.shape,
    values: Float32Array.from(t.values, () => Math.round((next() - 0.5) * 4000) / 2 ** 20),
  }));
}

/** FedAvg by hand (McMahan et al. 2017, Alg. 1): f32(g + Σ nᵢδᵢ / Σ nᵢ) with float64 sums. */
function weightedMean(
  global: readonly NamedTensor[],
  deltas: readonly NamedTensor[][],
  n: readonly number[],
) {
  const total = n.reduce((a, b) => a + b, 0);
  return global.map((t, k) => {
    const out = new Float32Array(t.values.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      deltas.forEach((d, j) => (s += (n[j] as number) * ((d[k] as NamedTensor).values[i] as number)));
      out[i] = (t.values[i] as number) + s / total;
    }
    return { name: t.name, values: out };
  });
}

const blobOf = (tensors: NamedTensor[]) => encodeBlob(tensors);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A report of REPORTED_N test cases, 10 positive, on the study's layout (as the site client builds it). */
function metrics(): SiteMetricsReport {
  const labels = Array.from({ length: REPORTED_N }, (_, i) => (i < 10 ? 1 : 0));
  const scores = labels.map((y, i) => (y === 1 ? 0.45 + i / 20 : (i - 10) / 25));
  return reportOf(labels, scores);
}

/**
 * A small tfjs layers-format model (one dense layer, 2.8 MB: three 1 MiB frames, so an upload can
 * be cut between frames) as the study's initial weights.
 */
function writeInitialModel(): string {
  const dir = path.join(dataDir, 'init-model');
  fs.mkdirSync(dir, { recursive: true });
  const kernel = Float32Array.from({ length: 1000 * 700 }, prng(7)).map((v) => v - 0.5);
  const bias = new Float32Array(700);
  fs.writeFileSync(
    path.join(dir, 'weights.bin'),
    Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(bias.buffer)]),
  );
  const weights = [
    { name: 'dense/kernel', shape: [1000, 700], dtype: 'float32' },
    { name: 'dense/bias', shape: [700], dtype: 'float32' },
  ];
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'fedaln e2e',
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'e2e', layers: [] } },
    weightsManifest: [{ paths: ['weights.bin'], weights }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  return path.join(dir, 'model.json');
}

function studySpec(sites: string[]) {
  return {
    name: 'e2e rounds',
    arch: 'densenet-tiny',
    input_size: 32,
    init_weights: writeInitialModel(),
    rounds: 3,
    local_epochs: 1,
    batch_size: 4,
    learning_rate: 0.001,
    min_sites: 3,
    round_deadline_s: 600,
    sites,
    // This spec checks the fold-on-arrival path (plain FedAvg, updates folded as they arrive, refolded
    // after a restart) against the exact weighted mean of synthetic deltas, which are uncorrelated, so
    // screening would down-weight them. Screened rounds are checked end to end in tests/adversarial/.
    robustness: { screening: false },
    release_policy: {
      min_site_auc: 0.7,
      min_pooled_auc: 0.7,
      dca_range: [0.1706, 0.6052],
      min_sites_passing: 'all',
    },
  };
}

function api(method: string, url: string, body?: unknown) {
  return adminApi(coordinator.baseUrl, ADMIN, method, url, body);
}

async function connectAll(): Promise<ScriptedSite[]> {
  return Promise.all(tokens.map((t) => ScriptedSite.connect(coordinator.baseUrl, t)));
}

/** Each site: the round's train task, the global it names, and its seeded delta blob. */
async function trainTasks(sites: ScriptedSite[], round: number) {
  const tasks = await Promise.all(sites.map((s) => s.task('train', round)));
  const global = decodeBlob(await sites[0]!.download(tasks[0]!));
  expect(sha(encodeBlob(global).bytes)).toBe(tasks[0]!.model_sha256);
  const deltas = sites.map((_, i) => syntheticDelta(global, 1000 * round + i + 1));
  return { tasks, global, deltas, blobs: deltas.map(blobOf) };
}

/** Evaluate tasks name the new global: it must equal the reference mean; then every site reports. */
async function finishRound(sites: ScriptedSite[], round: number, expected: { values: Float32Array }[]) {
  const tasks = await Promise.all(sites.map((s) => s.task('evaluate', round)));
  const next = decodeBlob(await sites[0]!.download(tasks[0]!));
  expect(next.length).toBe(expected.length);
  next.forEach((t, k) =>
    expect(Buffer.from(t.values.buffer).equals(Buffer.from(expected[k]!.values.buffer))).toBe(true),
  );
  for (const [i, s] of sites.entries()) expectOk(await s.report(tasks[i]!, metrics()));
}

async function roundState(round: number): Promise<string> {
  const r = await api('GET', `/api/studies/${studyId}/rounds/${round}`);
  return String((r.json.round as { state?: string } | undefined)?.state ?? r.json.state);
}

describe(`live rounds over socket.io (built coordinator, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  beforeAll(async () => {
    database = await freshDatabase('rounds');
    const env: NodeJS.ProcessEnv = {
      FEDALN_ADMIN_TOKEN: ADMIN,
      FEDALN_TEST_AGGREGATION_DELAY_MS: '1500',
      DATABASE_URL: database.url,
    };
    coordinator = new Coordinator(await freePort(), dataDir, env);
    await coordinator.start();
    const ids: string[] = [];
    for (const [i, name] of ['Hospital A', 'Hospital B', 'Hospital C', 'Outsider'].entries()) {
      // The lead approves the counts the sites upload and report (the outsider is in no study).
      const counts = i < N_TRAIN.length ? { n_train: N_TRAIN[i], n_test: REPORTED_N } : {};
      const r = await api('POST', '/api/sites', { name, ...counts });
      expect(r.status).toBe(201);
      ids.push(String(r.json.id));
      tokens.push(String(r.json.enrolment_token));
    }
    outsiderToken = tokens.pop()!;
    siteIds.push(...ids.slice(0, 3));
    const spec = studySpec(siteIds);
    const created = await api('POST', '/api/studies', spec);
    expect(created.status).toBe(201);
    studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await coordinator?.kill('SIGTERM');
    await database?.drop();
  });

  it('refuses a wrong token at connect with a clear message', async () => {
    await expect(connectSite(coordinator.baseUrl, 'not-a-token')).rejects.toThrow(
      /unauthenticated: .*enrolment token/,
    );
  });

  it('round 1: refusals leave the round going; the new global is the weighted mean', async () => {
    await expect(connectMonitor(coordinator.baseUrl, 'wrong-admin-token-0123456789')).rejects.toThrow(
      /unauthenticated: wrong admin token/,
    );
    const monitor = await connectMonitor(coordinator.baseUrl, ADMIN);
    const states: string[] = [];
    let uploadProgress = 0;
    monitor.on(MonitorEvent.roundState, (e) => states.push(`${e.round}:${e.state}`));
    monitor.on(MonitorEvent.transferProgress, (e) => (uploadProgress = Math.max(uploadProgress, e.bytes)));
    const training: TrainingProgressEvent[] = [];
    monitor.on(MonitorEvent.trainingProgress, (e) => training.push(e));
    const sites = await connectAll();
    // A monitor opened after the sites said hello still learns that they are connected.
    const late: SiteStatusEvent[] = [];
    const lateMonitor: Socket<MonitorServerToClientEvents, MonitorClientToServerEvents> = io(
      coordinator.baseUrl + MONITOR_NAMESPACE,
      { auth: { token: ADMIN }, transports: ['websocket'], reconnection: false, forceNew: true },
    );
    lateMonitor.on(MonitorEvent.siteStatus, (e) => late.push(e));
    await waitUntil('every site connected', () =>
      siteIds.every((id) => late.some((e) => e.site_id === id && e.connected)),
    );
    lateMonitor.close();
    const { tasks, global, deltas, blobs } = await trainTasks(sites, 1);

    // Training progress: another round's is refused and not relayed; the current round's reaches /monitor.
    const step = { epoch: 1, batch: 3, batches: 30, loss: 0.69, images_per_s: 2.5 };
    expect(await sites[0]!.trainProgress(tasks[0]!, { ...step, batch: 2 }, 2)).toMatchObject({
      ok: false,
      code: 'wrong_round',
    });
    expectOk(await sites[0]!.trainProgress(tasks[0]!, step));
    await waitUntil('a train:progress event', () => training.length > 0);
    expect(training).toEqual([{ study_id: studyId, round: 1, site_id: siteIds[0], epochs: 1, ...step }]);

    // Another site's round: the outsider is not in the study.
    const outsider = await ScriptedSite.connect(coordinator.baseUrl, outsiderToken);
    const refused = await outsider.uploadBegin(tasks[0]!, blobs[0]!, 10);
    expect(refused).toMatchObject({
      ok: false,
      code: 'forbidden',
      message: expect.stringContaining('not part of study'),
    });
    outsider.close();

    // A truncated blob (its own sha256, so only the decoder can tell) and a NaN update.
    const cut = blobs[0]!.bytes.subarray(0, blobs[0]!.bytes.length - 100);
    const truncated = await sites[0]!.upload(tasks[0]!, { bytes: cut, sha256: sha(cut) }, N_TRAIN[0]!);
    expect(truncated).toMatchObject({
      ok: false,
      code: 'bad_blob',
      message: expect.stringMatching(/bad blob: .*(truncated|out of range)/),
    });
    const nan = Uint8Array.from(blobs[1]!.bytes);
    new DataView(nan.buffer).setFloat32(nan.length - 4, NaN, true); // last value of the last tensor
    const nanAck = await sites[1]!.upload(tasks[1]!, { bytes: nan, sha256: sha(nan) }, N_TRAIN[1]!);
    expect(nanAck).toMatchObject({
      ok: false,
      code: 'bad_values',
      message: expect.stringContaining('not finite'),
    });

    for (const [i, s] of sites.entries()) {
      expect(await s.upload(tasks[i]!, blobs[i]!, N_TRAIN[i]!)).toEqual({
        ok: true,
        sha256: blobs[i]!.sha256,
      });
      if (i === 0) {
        // A replay of the counted update is acknowledged as already counted (nothing left to send)…
        const again = expectOk(await s.uploadBegin(tasks[0]!, blobs[0]!, N_TRAIN[0]!));
        expect(again.next_frame).toBe(Math.ceil(blobs[0]!.bytes.length / again.frame_bytes));
        expect(await s.uploadEnd(again.upload_id)).toEqual({ ok: true, sha256: blobs[0]!.sha256 });
        // …and a different second update is refused.
        const other = blobOf(syntheticDelta(global, 99));
        expect(await s.uploadBegin(tasks[0]!, other, N_TRAIN[0]!)).toMatchObject({
          ok: false,
          code: 'forbidden',
        });
      }
    }
    await finishRound(sites, 1, weightedMean(global, deltas, N_TRAIN));
    sites.forEach((s) => s.close());
    await waitUntil('round 1 completed', () => states.includes('1:completed'));
    expect(states.slice(0, 3)).toEqual(['1:training', '1:aggregating', '1:evaluating']);
    expect(uploadProgress).toBe(blobs[2]!.bytes.length);
    monitor.close();
    // Prometheus text: the accepted uploads and their bytes (replays and refusals not counted).
    const metricsText = await (await fetch(`${coordinator.baseUrl}/metrics`)).text();
    expect(metricsText).toMatch(/^fedaln_uploads_total 3$/m);
    const bytes = blobs.reduce((a, b) => a + b.bytes.length, 0);
    expect(metricsText).toContain(`fedaln_upload_bytes_total ${bytes}`);
  });

  it('round 2: SIGKILL after 2 of 3 uploads; after restart the third completes the exact mean', async () => {
    let sites = await connectAll();
    const { tasks, global, deltas, blobs } = await trainTasks(sites, 2);
    for (const i of [0, 1]) expectOk(await sites[i]!.upload(tasks[i]!, blobs[i]!, N_TRAIN[i]!));
    await coordinator.kill();
    sites.forEach((s) => s.close());
    await coordinator.start();
    expect(coordinator.log).toContain('"refolded":2');
    sites = await connectAll();
    const resent = await sites[2]!.task('train', 2);
    expect(resent.model_sha256).toBe(tasks[2]!.model_sha256);
    expectOk(await sites[2]!.upload(resent, blobs[2]!, N_TRAIN[2]!));
    await finishRound(sites, 2, weightedMean(global, deltas, N_TRAIN));
    sites.forEach((s) => s.close());
  });

  it('round 3: SIGKILL mid-upload resumes from the spooled frames; SIGKILL mid-aggregation resumes it', async () => {
    let sites = await connectAll();
    const { tasks, global, deltas, blobs } = await trainTasks(sites, 3);
    for (const i of [0, 1]) expectOk(await sites[i]!.upload(tasks[i]!, blobs[i]!, N_TRAIN[i]!));
    const big = blobs[2]!;
    const frames = Math.ceil(big.bytes.length / 2 ** 20);
    const first = expectOk(await sites[2]!.uploadBegin(tasks[2]!, big, N_TRAIN[2]!));
    expect(frames).toBeGreaterThan(2);
    const half = 2;
    await sites[2]!.sendFrames(first, big.bytes, half);
    await coordinator.kill();
    sites.forEach((s) => s.close());

    await coordinator.start();
    sites = await connectAll();
    const task = await sites[2]!.task('train', 3);
    const resumed = expectOk(await sites[2]!.uploadBegin(task, big, N_TRAIN[2]!));
    expect(resumed.next_frame).toBe(half);
    await sites[2]!.sendFrames(resumed, big.bytes);
    expectOk(await sites[2]!.uploadEnd(resumed.upload_id));

    await coordinator.waitForLog('"msg":"aggregation started"');
    await coordinator.kill();
    sites.forEach((s) => s.close());
    await coordinator.start();
    expect(coordinator.log).toContain('resuming aggregation');
    sites = await connectAll();
    await finishRound(sites, 3, weightedMean(global, deltas, N_TRAIN));
    sites.forEach((s) => s.close());
    await waitUntil('round 3 completed', async () => (await roundState(3)) === 'completed');
    const study = await api('GET', `/api/studies/${studyId}`);
    expect(study.json.status).toBe('completed');
  });

  it('deadline: without quorum the round is retried; with quorum it aggregates what arrived and records stragglers', async () => {
    const ids = (await api('GET', `/api/studies/${studyId}`)).json.spec as { sites: string[] };
    const created = await api('POST', '/api/studies', {
      ...studySpec(ids.sites),
      name: 'e2e deadline',
      rounds: 1,
      min_sites: 2,
      round_deadline_s: 10,
    });
    const deadlineStudy = String(created.json.id);
    expect((await api('POST', `/api/studies/${deadlineStudy}/start`)).status).toBeLessThan(300);
    // C then A reach the quorum of 2 and are assigned; B connects after the round started.
    const c = await ScriptedSite.connect(coordinator.baseUrl, tokens[2]!);
    const a = await ScriptedSite.connect(coordinator.baseUrl, tokens[0]!);
    const b = await ScriptedSite.connect(coordinator.baseUrl, tokens[1]!);
    const taskA = await a.task('train', 1, 30_000, deadlineStudy);
    expect(taskA.study_id).toBe(deadlineStudy);
    const global = decodeBlob(await a.download(taskA));
    const deltas = [0, 1].map((i) => syntheticDelta(global, 5000 + i));
    expectOk(await a.upload(taskA, blobOf(deltas[0]!), N_TRAIN[0]!));
    // Deadline 1: one upload < min_sites 2 → attempt 2, now with all three connected sites assigned.
    const taskB = await b.task('train', 1, 30_000, deadlineStudy);
    expectOk(await b.upload(taskB, blobOf(deltas[1]!), N_TRAIN[1]!));
    // Deadline 2: A and B uploaded (quorum), C is a straggler; the mean is over A and B only.
    const [evalA, evalB] = await Promise.all([
      a.task('evaluate', 1, 30_000, deadlineStudy),
      b.task('evaluate', 1, 30_000, deadlineStudy),
    ]);
    const next = decodeBlob(await a.download(evalA!));
    const expected = weightedMean(global, deltas, N_TRAIN.slice(0, 2));
    next.forEach((t, k) =>
      expect(Buffer.from(t.values.buffer).equals(Buffer.from(expected[k]!.values.buffer))).toBe(true),
    );
    expectOk(await a.report(evalA!, metrics()));
    expectOk(await b.report(evalB!, metrics()));
    await waitUntil(
      'the deadline study to complete',
      async () => (await api('GET', `/api/studies/${deadlineStudy}`)).json.status === 'completed',
    );
    const round = (await api('GET', `/api/studies/${deadlineStudy}/rounds/1`)).json;
    expect(round).toMatchObject({ attempt: 2 });
    const participants = round.participants as { site_id: string; state: string }[];
    expect(participants.find((p) => p.site_id === ids.sites[2])?.state).toBe('straggler');
    [a, b, c].forEach((s) => s.close());
  });
});
