// `npm run bench -- aggregation [--json] [--elements N] [--updates K] [--reps R] [--no-rss] [--no-robust]`: StreamingFedAvg
// (built @fedaln/aggregation) folding K = 8 updates of N = 20,000,000 float32 (DenseNet201's size),
// two ways — `addAll` (two per pass over the accumulator, as the coordinator folds updates that wait
// together) and `add` one at a time (an update that arrives alone) — against two peers in the same run:
//  - memcpy: `Float32Array.set` of the same 80 MB, the floor for touching an update once;
//  - numpy: Flower's `aggregate` over the same number of updates (bench/peers/numpy_fedavg.py), per
//    update = its total / K. Flower holds every update and every weighted copy; we hold 8 B/param.
// Each figure is the best of R rounds (default 5) after a warm-up; a round times memcpy, addAll and
// add back to back, so the three see the same machine. The Python needs numpy: FEDALN_PYTHON, else
// python3 (Debian: python3-numpy).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { StreamingFedAvg } from '@fedaln/aggregation';
import { benchFlags } from './support/flags';
import { seededDeltas } from './support/seeded-deltas';
import { bestOfMs, timeMs } from './support/best-of';

const {
  json,
  elements,
  updates,
  reps,
  'no-rss': noRss,
  'no-robust': noRobust,
} = benchFlags({
  json: false,
  elements: 20_000_000,
  updates: 8,
  reps: 5,
  'no-rss': false,
  'no-robust': false,
});

const layout = [{ name: 'all', shape: [elements] }];
const deltas = Array.from({ length: updates }, (_, k) => [
  { name: 'all', shape: [elements], values: seededDeltas(elements, k + 1) },
]);
const samples = Array.from({ length: updates }, (_, k) => 20 + ((k * 37) % 180));

// The accumulator's pages are touched first by the first fold (calloc'd memory faults in lazily):
// timed on its own, then the steady state is folds into the warm accumulator.
const fedavg = new StreamingFedAvg(layout);
const t0 = process.hrtime.bigint();
fedavg.add(deltas[0] as { name: string; shape: number[]; values: Float32Array }[], samples[0] as number);
const firstFoldMs = Number(process.hrtime.bigint() - t0) / 1e6;

const dst = new Float32Array(elements);
const batch = deltas.map((update, k) => ({ update, nSamples: samples[k] as number }));
const runs = {
  memcpy: () => {
    for (const d of deltas) dst.set(d[0]?.values as Float32Array);
  },
  paired: () => {
    if (fedavg.addAll(batch).some((r) => r !== undefined)) throw new Error('an update was refused');
  },
  single: () => batch.forEach(({ update, nSamples }) => fedavg.add(update, nSamples)),
};
const best = { memcpy: Infinity, paired: Infinity, single: Infinity };
for (let round = 0; round <= reps; round++) {
  for (const [kind, run] of Object.entries(runs) as [keyof typeof runs, () => void][]) {
    const ms = timeMs(run) / updates;
    if (round > 0) best[kind] = Math.min(best[kind], ms); // round 0 warms up
  }
}
const resultMs = bestOfMs(3, () => {
  fedavg.result();
});
const oursPerUpdate = best.paired;
const singlePerUpdate = best.single;
const memcpyMs = best.memcpy;

const python = process.env.FEDALN_PYTHON ?? 'python3';
const peer = spawnSync(
  python,
  [join(__dirname, 'peers', 'numpy_fedavg.py'), String(elements), String(updates), String(reps)],
  {
    encoding: 'utf8',
  },
);
if (peer.status !== 0) {
  throw new Error(
    `numpy peer failed (${peer.status}): ${peer.stderr}; install python3-numpy or set FEDALN_PYTHON`,
  );
}
const numpy = JSON.parse(peer.stdout) as { flower_ms: number; np_sum_ms: number; numpy: string };
const numpyPerUpdate = numpy.flower_ms / updates;

const row = {
  name: 'aggregation',
  elements,
  updates,
  load_avg_1m: +(loadavg()[0] as number).toFixed(2),
  ms_per_update: +oursPerUpdate.toFixed(2),
  ms_per_update_one_at_a_time: +singlePerUpdate.toFixed(2),
  first_update_ms: +firstFoldMs.toFixed(2),
  result_ms: +resultMs.toFixed(2),
  accumulator_mb: +((elements * 8) / 1e6).toFixed(1),
  memcpy_ms: +memcpyMs.toFixed(2),
  numpy_flower_ms_per_update: +numpyPerUpdate.toFixed(2),
  numpy_np_sum_ms_per_update: +(numpy.np_sum_ms / updates).toFixed(2),
  numpy_version: numpy.numpy,
  ratio_vs_memcpy: +(oursPerUpdate / memcpyMs).toFixed(2),
  ratio_vs_memcpy_one_at_a_time: +(singlePerUpdate / memcpyMs).toFixed(2),
  ratio_vs_numpy: +(oursPerUpdate / numpyPerUpdate).toFixed(2),
  ratio_vs_numpy_one_at_a_time: +(singlePerUpdate / numpyPerUpdate).toFixed(2),
};
if (json) {
  console.log(JSON.stringify(row));
} else {
  console.log(
    `StreamingFedAvg, ${updates} updates × ${elements.toLocaleString('en')} float32 (best of ${reps})`,
  );
  console.log(
    `  addAll (pairs) ${row.ms_per_update} ms/update   ratio_vs_memcpy ${row.ratio_vs_memcpy} (target ≤ 2), ratio_vs_numpy ${row.ratio_vs_numpy} (target ≤ 1)`,
  );
  console.log(
    `  add (one)      ${row.ms_per_update_one_at_a_time} ms/update   ratio_vs_memcpy ${row.ratio_vs_memcpy_one_at_a_time}, ratio_vs_numpy ${row.ratio_vs_numpy_one_at_a_time}`,
  );
  console.log(
    `  first fold into a fresh ${row.accumulator_mb} MB accumulator ${row.first_update_ms} ms; the mean ${row.result_ms} ms`,
  );
  console.log(`  memcpy         ${row.memcpy_ms} ms/update`);
  console.log(`  numpy (Flower) ${row.numpy_flower_ms_per_update} ms/update`);
  console.log(`  numpy np.sum   ${row.numpy_np_sum_ms_per_update} ms/update`);
}

// The coordinator part (bench/aggregation-rss.ts): its peak RSS while 8 sites upload
// DenseNet201-size updates over socket.io in one round. `--no-rss` skips it.
if (!noRss) {
  const rss = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'aggregation-rss.ts'), ...(json ? ['--json'] : [])],
    { stdio: 'inherit' },
  );
  if (rss.status !== 0) process.exit(rss.status ?? 1);
}

// Screening and the robust aggregators (bench/robust-aggregation.ts): 8 stored DenseNet201-size
// updates, each way in its own process (ms per update, peak RSS above idle). `--no-robust` skips it.
if (!noRobust) {
  const robust = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'robust-aggregation.ts'), ...(json ? ['--json'] : [])],
    { stdio: 'inherit' },
  );
  if (robust.status !== 0) process.exit(robust.status ?? 1);
}
