// `npm run bench -- secagg [--json] [--elements N] [--sites 3,10,30] [--reps R] [--rings 64,32]
//  [--precision P] [--helpers auto|H] [--prg aes-256-ctr|aes-128-ctr]`: secure aggregation (built @fedaln/secagg: SecAgg of Bonawitz et al.
// 2017 on the aggregation grid) in both rings — Z/2^64 on the default grid, and Z/2^32 on the
// clipped grid (clip_norm CLIP, below) — for N = 20,000,000 coordinates (DenseNet201's size) and 3,
// 10 and 30 sites, against plain StreamingFedAvg (built @fedaln/aggregation) in the same run. Per
// ring and site count it measures:
//  - site: the masked input of one site (check, grid integers, self mask and n − 1 pairwise masks,
//    streamed in 64 Ki-element chunks: memory O(chunk) beyond the update), and its upload bytes
//    (8 or 4 B per coordinate + keys, sealed shares and unmasking answers) against plain float32 (4 B);
//  - coordinator: adding the n masked inputs into the masked sum, then unmasking (n self masks
//    rebuilt from t shares, and with one site dropped before its input, the n − 1 pairwise masks
//    it shared), per update, against StreamingFedAvg.addAll of n updates per update. The unmasking
//    shares its chunks with H helper threads (MaskedSum `helpers`; auto: cores − 1, at most 3) as
//    StreamingFedAvg folds on its worker thread (2 cores and more) — the process's helper threads,
//    started when the MaskedSum is made and kept from one session to the next — and the masks are
//    expanded by the session's PRG (--prg; default aes-256-ctr): both are timed as wall time,
//    and as CPU time of the whole process (process.cpuUsage: every thread), each with its ratio to
//    plain, so that a second core is never mistaken for a cheaper protocol.
// Every site's work is the same, so one site's input is computed and the coordinator adds it n
// times (the adding cost does not depend on the values); the unmasking expands the real masks of
// the session. Correctness (bit for bit against StreamingFedAvg) is the unit test's job
// (libs/secagg/src/secagg-session.spec.ts). Best of R by wall time, plain and coordinator each
// (default 1: this takes minutes at 30 sites); the CPU time is that of the same run.
// Then, per site count, the precision (part "precision"): n different seeded updates of P
// coordinates (default 2,000,000) with sample counts 40..159, folded by StreamingFedAvg on the
// default grid and on the clipped grid of each clip norm in CLIPS, against their float64 weighted
// mean: max |error|, that over max |mean|, and RMS error over RMS mean.
import { availableParallelism, loadavg } from 'node:os';
import { clippedGridScale, gridStep, StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import {
  closeMaskRemovalHelpers,
  defaultThreshold,
  MASK_PRGS,
  type MaskPrg,
  gridLayout,
  type RingBits,
  MaskedSum,
  openSession,
  SecAggSite,
  stepSession,
  type GridLayout,
  type MaskedChunk,
  type SessionEvent,
  type SessionState,
  type UnmaskPlan,
} from '@fedaln/secagg';
import { benchFlags } from './support/flags';
import { seededDeltas } from './support/seeded-deltas';
import { timeMs, timeWallAndCpu, type Timing } from './support/best-of';

const {
  json,
  elements,
  sites: sitesFlag,
  reps,
  rings: ringsFlag,
  precision: precisionElements,
  helpers: helpersFlag,
  prg: prgFlag,
} = benchFlags({
  json: false,
  elements: 20_000_000,
  sites: '3,10,30',
  reps: 1,
  rings: '64,32',
  precision: 2_000_000,
  helpers: 'auto',
  prg: 'aes-256-ctr',
});
if (!(MASK_PRGS as readonly string[]).includes(prgFlag)) {
  console.error(`--prg ${prgFlag}: expected one of ${MASK_PRGS.join(', ')}`);
  process.exit(2);
}
const prg = prgFlag as MaskPrg;
if (helpersFlag !== 'auto' && !/^\d+$/.test(helpersFlag)) {
  console.error(`--helpers ${helpersFlag}: expected auto or a whole number of helper threads (0: none)`);
  process.exit(2);
}
/** MaskedSum's options: its default (auto) or the flag's helper count. */
const sumOptions = helpersFlag === 'auto' ? {} : { helpers: Number(helpersFlag) };
const rings = ringsFlag.split(',').map((s): RingBits => {
  if (s !== '64' && s !== '32') {
    console.error(`--rings ${ringsFlag}: expected 64, 32 or 64,32`);
    process.exit(2);
  }
  return Number(s) as RingBits;
});
const siteCounts = sitesFlag.split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 2) {
    console.error(`--sites ${sitesFlag}: expected a comma-separated list of integers ≥ 2, like 3,10,30`);
    process.exit(2);
  }
  return n;
});

const tensors = [{ name: 'all', shape: [elements] }];
const update: WeightTensor[] = [{ name: 'all', shape: [elements], values: seededDeltas(elements, 1) }];
const nSamples = 150;
/**
 * The clip norm of the 32-bit ring's timing runs: above the seeded update's norm (uniform ±1e-3 over
 * 20 M coordinates: √(2·10⁷/3)·10⁻³ ≈ 2.6), so clipping does not bite; the time does not depend on it.
 */
const CLIP = 4;
/** Clip norms of the precision part: CLIP, and 25 — above the e2e run's largest update norm (2.3–22, README). */
const CLIPS = [CLIP, 25];
const bytesOf = (v: unknown): number =>
  Buffer.isBuffer(v) ? v.length : typeof v === 'bigint' ? 66 : typeof v === 'number' ? 4 : 0;

/** A session through rounds 0 and 1 (keys advertised, shares sealed and delivered); site 1's cost timed. */
function keyedSession(n: number, t: number) {
  const params = { roundTag: `bench-${n}-${Math.random()}`, threshold: t, sites: n, prg };
  const sites = Array.from({ length: n }, (_, i) => new SecAggSite(i + 1, params));
  let session: SessionState = openSession(params);
  const apply = (e: SessionEvent) => {
    const r = stepSession(session, e);
    if (r.kind === 'rejected') throw r.error;
    session = r.session;
    return r.effects;
  };
  // Rounds 0 and 1: keys and sealed shares (timed for site 1).
  const ads = sites.map((s) => s.advertise());
  ads.forEach((a) => apply({ type: 'keysAdvertised', advertisement: a }));
  const roster = ads;
  apply({ type: 'advertiseClosed' });
  let keyMs = 0;
  let shareBytes = 0;
  sites.forEach((s, i) => {
    const t0 = process.hrtime.bigint();
    const shares = s.shareKeys(roster);
    if (i === 0) {
      keyMs = Number(process.hrtime.bigint() - t0) / 1e6;
      shareBytes = shares.reduce((a, m) => a + m.sealed.length + 8, 0);
    }
    apply({ type: 'sharesSent', from: s.site, shares });
  });
  for (const e of apply({ type: 'sharingClosed' }))
    if (e.type === 'deliverShares') sites[e.to - 1]?.receiveShares(e.shares);

  return { sites, apply, keyMs, shareBytes };
}

/** Plain StreamingFedAvg per update over n updates (the same tensor n times: its cost does not depend on values); best of R by wall time. */
function plainPerUpdate(n: number, scale: number): Timing {
  let best: Timing = { wallMs: Infinity, cpuMs: Infinity };
  for (let r = 0; r < reps; r++) {
    const acc = new StreamingFedAvg(tensors, { shares: n, scale });
    acc.add(update, nSamples); // faults the accumulator's pages in (untimed, as bench/aggregation.bench.ts)
    const t = timeWallAndCpu(() => {
      if (
        acc.addAll(Array.from({ length: n - 1 }, () => ({ update, nSamples }))).some((x) => x !== undefined)
      )
        throw new Error('refused');
    });
    if (t.wallMs < best.wallMs) best = { wallMs: t.wallMs / (n - 1), cpuMs: t.cpuMs / (n - 1) };
    acc.close();
  }
  return best;
}

const per = (t: Timing, k: number): Timing => ({ wallMs: t.wallMs / k, cpuMs: t.cpuMs / k });
const plus = (a: Timing, b: Timing): Timing => ({ wallMs: a.wallMs + b.wallMs, cpuMs: a.cpuMs + b.cpuMs });

function bench(n: number, ring: RingBits, plain: Timing): Record<string, number | string> {
  const t = defaultThreshold(n);
  const layout: GridLayout =
    ring === 64
      ? { tensors, scales: [1], sites: n }
      : gridLayout(update, n, { norm: CLIP, totalWeight: n * nSamples });
  const first = keyedSession(n, t);
  let { sites, apply } = first;
  const { keyMs, shareBytes } = first;
  // Round 2: one site's masked input, streamed; kept (O(model)) for the coordinator's n adds.
  let chunks: MaskedChunk[] = [];
  let siteMs = Infinity;
  for (let r = 0; r < reps; r++) {
    const kept: MaskedChunk[] = [];
    siteMs = Math.min(
      siteMs,
      timeMs(() => {
        for (const c of (sites[0] as SecAggSite).maskedInput(layout, update, nSamples)) kept.push(c);
      }),
    );
    chunks = kept;
  }
  // Round 3, two ways: no dropout, and site `dropped` dropped before its input (0: none).
  let lastAnswerBytes = 0;
  const plan = (dropped: number): UnmaskPlan => {
    for (const s of sites)
      if (s.site !== dropped) apply({ type: 'maskedInputReceived', site: s.site, nSamples });
    let out: UnmaskPlan | undefined;
    let answerBytes = 0;
    for (const e of apply({ type: 'inputsClosed' })) {
      if (e.type !== 'requestUnmasking') continue;
      for (const u of e.to.slice(0, t)) {
        const response = (sites[u - 1] as SecAggSite).unmask(e.request);
        if (u === 1)
          answerBytes = [...response.selfShares, ...response.keyShares].reduce(
            (a, h) => a + 4 + bytesOf(h.y),
            0,
          );
        apply({ type: 'unmaskResponse', response });
      }
    }
    for (const e of apply({ type: 'unmaskClosed' })) if (e.type === 'unmask') out = e.plan;
    lastAnswerBytes = Math.max(lastAnswerBytes, answerBytes);
    return out as UnmaskPlan;
  };
  let sessionsUsed = 0;
  /** The coordinator's work on one session: adding the inputs (n − 1 with one dropped), then unmasking. */
  const coordinator = (
    dropped: number,
  ): { add: Timing; unmask: Timing; helpers: number; unmaskFaults: number } => {
    const sum = new MaskedSum(layout, sumOptions);
    sum.peek().fill(0); // fault its pages in (untimed), as StreamingFedAvg's first fold
    const add = timeWallAndCpu(() => {
      for (let i = 0; i < (dropped === 0 ? n : n - 1); i++) for (const c of chunks) sum.add(c);
    });
    if (dropped !== 0 || sessionsUsed++ > 0) ({ sites, apply } = keyedSession(n, t));
    // Minor page faults of the whole process during the unmasking: memory the allocator handed back
    // to the system and takes again (README "Helper threads for the unmasking").
    const faults = process.resourceUsage().minorPageFault;
    const unmask = timeWallAndCpu(() => sum.unmask(plan(dropped)));
    return {
      add,
      unmask,
      helpers: sum.helpers,
      unmaskFaults: process.resourceUsage().minorPageFault - faults,
    };
  };
  let best: ReturnType<typeof coordinator> | undefined;
  for (let r = 0; r < reps; r++) {
    const run = coordinator(0);
    if (best === undefined || run.add.wallMs + run.unmask.wallMs < best.add.wallMs + best.unmask.wallMs)
      best = run;
  }
  const { add, unmask, helpers, unmaskFaults } = best as ReturnType<typeof coordinator>;
  // With t = n (3 sites: ⌊2n/3⌋ + 1 = 3) a dropout leaves fewer than t: the round fails, nothing to time.
  const withDrop = n - 1 >= t ? coordinator(n) : undefined;
  chunks = [];

  const plainUpload = 4 * elements;
  const keyBytes = 64 + shareBytes + lastAnswerBytes;
  const maskedUpload = (ring / 8) * elements + keyBytes;
  const coord = per(plus(add, unmask), n);
  const coordDropped = withDrop && per(plus(withDrop.add, withDrop.unmask), n - 1);
  const fixed = (v: number | undefined, digits: number): number | string =>
    v === undefined ? 'n/a (t = n)' : +v.toFixed(digits);
  return {
    name: 'secagg',
    part: 'time',
    ring_bits: ring,
    prg,
    grid_step: ring === 64 ? gridStep(1) : gridStep(layout.scales[0] as number),
    clip_norm: ring === 64 ? 'n/a' : CLIP,
    elements,
    sites: n,
    threshold: t,
    cores: availableParallelism(),
    unmask_helper_threads: helpers,
    load_avg_1m: +(loadavg()[0] as number).toFixed(2),
    site_keys_and_shares_ms: +keyMs.toFixed(1),
    site_masked_input_ms: +siteMs.toFixed(0),
    site_upload_bytes: maskedUpload,
    site_key_material_bytes: keyBytes,
    plain_upload_bytes: plainUpload,
    upload_ratio: +(maskedUpload / plainUpload).toFixed(3),
    coordinator_add_ms_per_update: +(add.wallMs / n).toFixed(1),
    coordinator_unmask_ms: +unmask.wallMs.toFixed(0),
    coordinator_unmask_cpu_ms: +unmask.cpuMs.toFixed(0),
    coordinator_unmask_minor_page_faults: unmaskFaults,
    coordinator_unmask_one_dropped_ms: fixed(withDrop?.unmask.wallMs, 0),
    coordinator_ms_per_update: +coord.wallMs.toFixed(1),
    coordinator_cpu_ms_per_update: +coord.cpuMs.toFixed(1),
    coordinator_ms_per_update_one_dropped: fixed(coordDropped?.wallMs, 1),
    coordinator_cpu_ms_per_update_one_dropped: fixed(coordDropped?.cpuMs, 1),
    plain_ms_per_update: +plain.wallMs.toFixed(1),
    plain_cpu_ms_per_update: +plain.cpuMs.toFixed(1),
    coordinator_ratio: +(coord.wallMs / plain.wallMs).toFixed(2),
    coordinator_cpu_ratio: +(coord.cpuMs / plain.cpuMs).toFixed(2),
    coordinator_ratio_one_dropped: fixed(coordDropped && coordDropped.wallMs / plain.wallMs, 2),
    coordinator_cpu_ratio_one_dropped: fixed(coordDropped && coordDropped.cpuMs / plain.cpuMs, 2),
  };
}

/** Per site count: the aggregate's error against the float64 weighted mean, default grid and clipped grids. */
function precision(n: number): Record<string, number | string>[] {
  const p = precisionElements;
  const layoutP = [{ name: 'all', shape: [p] }];
  const weights = Array.from({ length: n }, (_, i) => 40 + ((i * 37) % 120));
  const total = weights.reduce((a, b) => a + b, 0);
  const grids: { label: string; clip: number | undefined; scale: number }[] = [
    { label: 'default (64-bit ring)', clip: undefined, scale: 1 },
    ...CLIPS.map((c) => ({ label: `clipped (32-bit ring)`, clip: c, scale: clippedGridScale(c, total) })),
  ];
  const sums = grids.map((g) => new StreamingFedAvg(layoutP, { scale: g.scale, shares: n, thread: 'never' }));
  const exact = new Float64Array(p);
  let maxNorm = 0;
  weights.forEach((w, i) => {
    const values = seededDeltas(p, 1000 + i);
    let sq = 0;
    for (let j = 0; j < p; j++) {
      exact[j] = (exact[j] as number) + w * (values[j] as number);
      sq += (values[j] as number) ** 2;
    }
    maxNorm = Math.max(maxNorm, Math.sqrt(sq));
    for (const s of sums)
      if (s.add([{ name: 'all', shape: [p], values }], w) !== undefined) throw new Error('refused');
  });
  let maxMean = 0;
  let meanSq = 0;
  for (let j = 0; j < p; j++) {
    exact[j] = (exact[j] as number) / total;
    maxMean = Math.max(maxMean, Math.abs(exact[j] as number));
    meanSq += (exact[j] as number) ** 2;
  }
  return grids.map((g, k) => {
    const got = (sums[k] as StreamingFedAvg).result()[0]?.values as Float32Array;
    (sums[k] as StreamingFedAvg).close();
    let maxErr = 0;
    let errSq = 0;
    for (let j = 0; j < p; j++) {
      const e = Math.abs((got[j] as number) - (exact[j] as number));
      maxErr = Math.max(maxErr, e);
      errSq += e * e;
    }
    const q = gridStep(g.scale);
    return {
      name: 'secagg',
      part: 'precision',
      grid: g.label,
      clip_norm: g.clip ?? 'n/a',
      elements: p,
      sites: n,
      total_weight: total,
      largest_update_norm: +maxNorm.toPrecision(3),
      grid_step: q,
      error_bound: +((n * q) / (2 * total)).toPrecision(3),
      max_abs_error: +maxErr.toPrecision(3),
      max_abs_mean: +maxMean.toPrecision(3),
      max_error_over_max_mean: +(maxErr / maxMean).toPrecision(3),
      rms_error_over_rms_mean: +Math.sqrt(errSq / meanSq).toPrecision(3),
    };
  });
}

for (const n of siteCounts) {
  const plain64 = plainPerUpdate(n, 1);
  for (const ring of rings) {
    // The plain peer on the ring's own grid (its cost does not depend on the scale; measured again for the 32-bit ring's).
    const plain = ring === 64 ? plain64 : plainPerUpdate(n, clippedGridScale(CLIP, n * nSamples));
    const row = bench(n, ring, plain);
    if (json) console.log(JSON.stringify(row));
    else {
      console.log(
        `secure aggregation, ring Z/2^${ring}, ${prg}, ${n} sites (t = ${row.threshold}), ${elements.toLocaleString('en')} coordinates`,
      );
      console.log(
        `  site: masked input ${row.site_masked_input_ms} ms, keys+shares ${row.site_keys_and_shares_ms} ms; upload ${row.site_upload_bytes} B = ${row.upload_ratio}× plain (target ≤ 1.1× + O(sites)), of which ${row.site_key_material_bytes} B keys and shares`,
      );
      console.log(
        `  coordinator: ${row.coordinator_ms_per_update} ms/update (add ${row.coordinator_add_ms_per_update}, unmask ${row.coordinator_unmask_ms} ms in all with ${row.unmask_helper_threads} helper threads), ${row.coordinator_ratio}× plain ${row.plain_ms_per_update} ms/update (target ≤ 2× at 10 sites)`,
      );
      console.log(
        `  CPU (every thread): ${row.coordinator_cpu_ms_per_update} ms/update, ${row.coordinator_cpu_ratio}× plain ${row.plain_cpu_ms_per_update} ms/update; load ${row.load_avg_1m} on ${row.cores} cores`,
      );
      console.log(
        `  with one site dropped: unmask ${row.coordinator_unmask_one_dropped_ms} ms, ${row.coordinator_ms_per_update_one_dropped} ms/update = ${row.coordinator_ratio_one_dropped}× plain (CPU ${row.coordinator_cpu_ratio_one_dropped}×)`,
      );
    }
  }
  for (const row of precision(n)) {
    if (json) console.log(JSON.stringify(row));
    else
      console.log(
        `  precision, ${row.grid}, clip_norm ${row.clip_norm}: q = ${row.grid_step}, max |error| ${row.max_abs_error} (bound ${row.error_bound}) = ${row.max_error_over_max_mean} of max |mean|; RMS ratio ${row.rms_error_over_rms_mean}`,
      );
  }
}
void closeMaskRemovalHelpers();
