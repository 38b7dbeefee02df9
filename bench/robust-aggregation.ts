// The robust part of `npm run bench -- aggregation` (issue 13): a round of K = 8 DenseNet201-size
// updates (20,242,984 float32 ≈ 81 MB each) stored as blob files, combined as the coordinator does
// at aggregation (apps/coordinator/src/aggregation/screened-round.ts), each way in its own process so
// its peak RSS above idle is its own:
//  - fedavg:    StreamingFedAvg.addAll over the stored updates, then global + δ̄ chunk by chunk (the peer);
//  - screening: the screening pass (norms over every coordinate, coordinate-wise median and cosines
//               on the coordinator's ~1M-coordinate sample);
//  - median / trimmed: CoordinateRobustMean chunk by chunk into global + δ̄.
// ms per update = the pass's time / K (best of R); RSS: VmHWM − VmRSS at idle (files open, nothing
// read). Targets: screening ≤ 1.5× fedavg per update; median/trimmed peak RSS above idle ≤ 4× the
// model's f32 bytes. Run alone: `node --import tsx bench/robust-aggregation.ts [--json]`.
import {
  CoordinateRobustMean,
  screenUpdates,
  StreamingFedAvg,
  type LayoutEntry,
  type UpdateTensor,
} from '@fedaln/aggregation';
import { encodeBlob, openBlobFile, type NamedTensor } from '@fedaln/protocol';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { sampleEveryFor } from '../apps/coordinator/src/aggregation/screened-round';
import { benchFlags } from './support/flags';

const { json, params, updates, reps, mode, dir } = benchFlags({
  json: false,
  params: 20_242_984,
  updates: 8,
  reps: 3,
  mode: '',
  dir: '',
});
const MODES = ['fedavg', 'screening', 'median', 'trimmed'] as const;
type Mode = (typeof MODES)[number];
const layout: LayoutEntry[] = [
  { name: 'body/kernel', shape: [params - 1000] },
  { name: 'head/bias', shape: [1000] },
];
const OUT_CHUNK = 1 << 16;

function kbOf(key: string): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
}

/** Three honest directions around one, a sign-flipped ×10 and a scaled copy: a round screening flags. */
function writeRound(to: string): void {
  const dirn = new Float32Array(params);
  let s = 17;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2e-3;
  for (let i = 0; i < params; i++) dirn[i] = next();
  for (let k = 0; k < updates; k++) {
    const sign = k === updates - 1 ? -10 : 1;
    const tensors: NamedTensor[] = [];
    let at = 0;
    for (const e of layout) {
      const n = e.shape[0] as number;
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = sign * (dirn[at + i] as number) + next();
      tensors.push({ name: e.name, shape: e.shape, values });
      at += n;
    }
    fs.writeFileSync(path.join(to, `u${k}.blob`), encodeBlob(tensors).bytes);
  }
}

/** Child: one mode over the stored round; prints {ms_per_update, rss_above_idle_mb}. */
function runMode(m: Mode, from: string): void {
  const readers = Array.from({ length: updates }, (_, k) => openBlobFile(path.join(from, `u${k}.blob`)));
  const round = readers.map((r) => r.tensors as readonly UpdateTensor[]);
  const global = layout.map((e) => new Float32Array(Math.min(OUT_CHUNK, e.shape[0] as number)));
  const out = new Float32Array(OUT_CHUNK);
  const writeModel = (apply: (k: number, f: number, o: Float32Array, g: Float32Array) => void) =>
    layout.forEach((e, k) => {
      const n = e.shape[0] as number;
      for (let f = 0; f < n; f += OUT_CHUNK) {
        const len = Math.min(OUT_CHUNK, n - f);
        apply(k, f, out.subarray(0, len), (global[k] as Float32Array).subarray(0, len));
      }
    });
  const passes: Record<Mode, () => void> = {
    fedavg: () => {
      const fedavg = new StreamingFedAvg(layout, { shares: updates });
      const refused = fedavg.addAll(round.map((u, i) => ({ update: u, nSamples: 50 + i })));
      if (refused.some((r) => r !== undefined)) throw new Error(`refused: ${refused.find(Boolean)?.message}`);
      writeModel((k, f, o, g) => fedavg.applyChunk(k, f, o, g));
      fedavg.close();
    },
    screening: () => {
      screenUpdates(layout, round, { sampleEvery: sampleEveryFor(layout) });
    },
    median: () => {
      const median = new CoordinateRobustMean(layout, round, { kind: 'median' });
      writeModel((k, f, o, g) => median.applyChunk(k, f, o, g));
    },
    trimmed: () => {
      const trimmed = new CoordinateRobustMean(layout, round, { kind: 'trimmed-mean', beta: 0.2 });
      writeModel((k, f, o, g) => trimmed.applyChunk(k, f, o, g));
    },
  };
  const idleKb = kbOf('VmRSS');
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    passes[m]();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const peakKb = kbOf('VmHWM');
  for (const r of readers) r.close();
  console.log(JSON.stringify({ ms_per_update: best / updates, rss_above_idle_mb: (peakKb - idleKb) / 1024 }));
}

function main(): void {
  const work = fs.mkdtempSync(path.join(tmpdir(), 'fedaln-robust-bench-'));
  try {
    writeRound(work);
    const modelMb = (params * 4) / 2 ** 20;
    const results = {} as Record<Mode, { ms_per_update: number; rss_above_idle_mb: number }>;
    for (const m of MODES) {
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          __filename,
          '--mode',
          m,
          '--dir',
          work,
          '--params',
          String(params),
          '--updates',
          String(updates),
          '--reps',
          String(reps),
        ],
        { encoding: 'utf8' },
      );
      if (child.status !== 0) throw new Error(`${m} failed (${child.status}): ${child.stderr}`);
      results[m] = JSON.parse(child.stdout.trim().split('\n').at(-1) as string);
    }
    const row = (m: Mode) => ({
      ms_per_update: +results[m].ms_per_update.toFixed(1),
      rss_above_idle_mb: +results[m].rss_above_idle_mb.toFixed(1),
      rss_vs_model: +(results[m].rss_above_idle_mb / modelMb).toFixed(2),
    });
    const summary = {
      name: 'aggregation-robust',
      params,
      updates,
      load_avg_1m: +(loadavg()[0] as number).toFixed(2),
      model_mb: +modelMb.toFixed(1),
      centre_sample_every: sampleEveryFor(layout),
      fedavg: row('fedavg'),
      screening: row('screening'),
      median: row('median'),
      trimmed_mean: row('trimmed'),
      ratio_screening_vs_fedavg: +(results.screening.ms_per_update / results.fedavg.ms_per_update).toFixed(2),
      ratio_median_vs_fedavg: +(results.median.ms_per_update / results.fedavg.ms_per_update).toFixed(2),
      ratio_trimmed_vs_fedavg: +(results.trimmed.ms_per_update / results.fedavg.ms_per_update).toFixed(2),
    };
    if (json) {
      console.log(JSON.stringify(summary));
      return;
    }
    console.log(
      `Robust aggregation, ${updates} stored updates × ${params.toLocaleString('en')} float32 (best of ${reps})`,
    );
    for (const m of ['fedavg', 'screening', 'median', 'trimmed_mean'] as const) {
      const r = summary[m];
      console.log(
        `  ${m.padEnd(13)} ${r.ms_per_update} ms/update   peak RSS above idle ${r.rss_above_idle_mb} MB (${r.rss_vs_model}× the model)`,
      );
    }
    console.log(
      `  screening / fedavg ${summary.ratio_screening_vs_fedavg} (target ≤ 1.5); median, trimmed mean RSS ≤ 4× the model (${(4 * modelMb).toFixed(0)} MB)`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (mode === '') main();
else if ((MODES as readonly string[]).includes(mode)) runMode(mode as Mode, dir);
else throw new Error(`--mode ${mode}: expected one of ${MODES.join(', ')}`);
