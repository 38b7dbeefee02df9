// The coordinator part of `npm run bench -- aggregation`: the built coordinator's resident memory
// while 8 sites upload DenseNet201-size updates (20,242,984 float32 ≈ 81 MB each) in one round over
// socket.io and it folds them into StreamingFedAvg and aggregates. Frames are spooled to disk and an
// update is read, verified and folded one at a time, so memory should not grow with the number of
// sites: updates are checked and folded from their spool files in 1 MiB chunks, so the floor is the
// grid accumulator (8 B/param = 2× the model's f32 bytes) + upload buffers; the new global model is
// streamed to the blob store in 256 KiB chunks. RSS is sampled from /proc/<pid>/status every 20 ms; idle is
// the freshly restarted coordinator with the study running, the sites connected and holding their
// tasks, and the round's model fetched once (as every real site does before training, which puts
// it in the coordinator's blob cache), before any upload.
// Run alone: `node --import tsx bench/aggregation-rss.ts [--json] [--sites 8] [--params N]`.
import { encodeBlob, type NamedTensor } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adminApi, Coordinator, freePort } from '../tests/e2e/support/coordinator';
import { expectOk, ScriptedSite } from '../tests/e2e/support/site-client';
import { benchFlags } from './support/flags';

const {
  json,
  sites: SITES,
  params: PARAMS, // DenseNet201 (Keras, ImageNet head)
} = benchFlags({ json: false, sites: 8, params: 20_242_984 });
const ADMIN = 'bench-admin-token-0123456789abcdef';

function rssMb(pid: number): { now: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Two tensors of PARAMS values in all, as a tfjs layers-format model the study starts from. */
function writeModel(dir: string): { path: string; layout: { name: string; shape: number[] }[] } {
  const layout = [
    { name: 'body/kernel', shape: [PARAMS - 1000] },
    { name: 'head/bias', shape: [1000] },
  ];
  const values = new Float32Array(PARAMS);
  for (let i = 0; i < PARAMS; i++) values[i] = ((i * 2654435761) % 1000) / 1e4;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(values.buffer));
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'fedaln bench',
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'bench', layers: [] } },
    weightsManifest: [{ paths: ['weights.bin'], weights: layout.map((l) => ({ ...l, dtype: 'float32' })) }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  return { path: path.join(dir, 'model.json'), layout };
}

function delta(layout: { name: string; shape: number[] }[], seed: number): NamedTensor[] {
  let s = seed >>> 0;
  return layout.map((l) => {
    const values = new Float32Array(l.shape[0] as number);
    for (let i = 0; i < values.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      values[i] = (s / 2 ** 32 - 0.5) * 2e-3;
    }
    return { ...l, values };
  });
}

async function api(base: string, method: string, url: string, body?: unknown) {
  const { status, json } = await adminApi(base, ADMIN, method, url, body);
  if (status >= 300) throw new Error(`${method} ${url}: ${status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-bench-rss-'));
  const coordinator = new Coordinator(await freePort(), dataDir, {
    FEDALN_ADMIN_TOKEN: ADMIN,
    DATABASE_URL: '',
  });
  const base = coordinator.baseUrl;
  const model = writeModel(path.join(dataDir, 'init-model'));
  await coordinator.start(120_000);
  const ids: string[] = [];
  const tokens: string[] = [];
  for (let i = 0; i < SITES; i++) {
    const site = await api(base, 'POST', '/api/sites', { name: `Hospital ${i + 1}` });
    ids.push(String(site.id));
    tokens.push(String(site.enrolment_token));
  }
  const study = await api(base, 'POST', '/api/studies', {
    name: 'rss bench',
    arch: 'densenet201',
    input_size: 224,
    init_weights: model.path,
    rounds: 1,
    local_epochs: 1,
    batch_size: 8,
    learning_rate: 0.0001,
    min_sites: SITES,
    round_deadline_s: 3600,
    sites: ids,
    release_policy: {
      min_site_auc: 0.7,
      min_pooled_auc: 0.7,
      dca_range: [0.1706, 0.6052],
      min_sites_passing: 'all',
    },
  });
  await api(base, 'POST', `/api/studies/${String(study.id)}/start`);
  // A fresh process for the measurement: version 0 is built, tfjs is not loaded, the round waits.
  await coordinator.kill('SIGTERM');
  await coordinator.start(120_000);
  const pid = coordinator.pid;

  const blobs = Array.from({ length: SITES }, (_, i) => encodeBlob(delta(model.layout, i + 1)));
  const sites = await Promise.all(tokens.map((t) => ScriptedSite.connect(base, t)));
  const tasks = await Promise.all(sites.map((s) => s.task('train', 1, 120_000)));
  await new Promise((r) => setTimeout(r, 500));
  const beforeFetch = rssMb(pid).now;
  await sites[0]!.download(tasks[0]!);
  await new Promise((r) => setTimeout(r, 500));
  // Conservative idle: a fetch may leave garbage behind that the upload phase then frees, which
  // would flatter the figure; never count more than the model itself as the fetch's share.
  const idle = Math.min(rssMb(pid).now, beforeFetch + (PARAMS * 4) / 2 ** 20);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid).now)), 20);
  const t0 = Date.now();
  await Promise.all(sites.map(async (s, i) => expectOk(await s.upload(tasks[i]!, blobs[i]!, 100 + i))));
  await Promise.all(sites.map((s) => s.task('evaluate', 1, 300_000)));
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb(pid).now);
  sites.forEach((s) => s.close());
  await coordinator.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });

  const modelMb = (PARAMS * 4) / 2 ** 20;
  const row = {
    name: 'aggregation',
    part: 'coordinator_rss',
    sites: SITES,
    params: PARAMS,
    model_mb: +modelMb.toFixed(1),
    idle_before_fetch_rss_mb: +beforeFetch.toFixed(1),
    idle_rss_mb: +idle.toFixed(1),
    peak_rss_mb: +peak.toFixed(1),
    peak_above_idle_mb: +(peak - idle).toFixed(1),
    ratio_above_idle_vs_model: +((peak - idle) / modelMb).toFixed(2),
    round_seconds: +seconds.toFixed(1),
  };
  if (json) {
    console.log(JSON.stringify(row));
    return;
  }
  console.log(
    `coordinator RSS, ${SITES} sites × ${PARAMS.toLocaleString('en')} float32 updates (${row.model_mb} MiB each), one round`,
  );
  console.log(
    `  idle ${row.idle_rss_mb} MiB, peak ${row.peak_rss_mb} MiB: ${row.peak_above_idle_mb} MiB above idle = ${row.ratio_above_idle_vs_model}× the model (target ≤ 4)`,
  );
  console.log(`  uploads + verification + folding + aggregation: ${row.round_seconds} s`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
