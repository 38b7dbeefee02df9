// `npm run bench -- load [--json] [--sites 100] [--rounds 10]` (issue 18): one coordinator under
// --sites sites through --rounds rounds.
//   coordinator  the built `fedaln-coordinator serve` as a child process on a fresh database (PGlite
//                in its data dir; a fresh database on DATABASE_URL's server when set), with
//                bench/support/coordinator-probe.cjs preloaded: its CPU (process.cpuUsage), RSS (after
//                gc()), peak RSS (resourceUsage().maxRSS) and event-loop lag (monitorEventLoopDelay)
//                are the coordinator's own, not the site clients'.
//   sites        light socket.io clients in this process (tests/e2e/support/site-client.ts, the typed
//                `/site` contract): hello, then per round the train task, the model download frame by
//                frame, an upload of a seeded delta (|δ| ≤ 5e-4) shaped like the global model
//                (densenet-tiny, 32 px, 48,169 floats: 193 KB), the evaluate task and a metrics report
//                of seeded predictions. No training: the load is the coordinator's.
//   study        fedavg, no screening (robustness.screening false), min_sites = --sites.
// Counted from the coordinator's own records (GET /api/studies/:id/rounds/:n, its participant rows)
// against what the sites sent: `lost_updates` (an upload acked ok whose row is not `uploaded` with
// that sha256), `double_counted` (an `uploaded` row no ok ack stands for), and the aggregate check:
// the next round's global model must equal global + mean of the acked deltas (float64 reference;
// a delta counted twice or left out moves it by ≈ |δ|/sites, far above the 1e-6 tolerance). The last
// round's model is not downloaded by any task, so rounds − 1 aggregates are checked.
// Rows (`--json`: one object, name "load"): round_overhead_ms (last ok upload ack of a round → first
// evaluate task: aggregation and dispatch) and next_round_ms (last report sent → first train task of
// the next round: the coordinator sends it before that report's ack arrives), p50 and max over
// rounds; round_ms (first train task → last report ack); coordinator_cpu_ms_per_round; rss at each
// round end, rss_growth_pct (last round end vs the first); peak_rss_mb; event_loop_lag_p50/p99/max_ms
// over the rounds (start-up and enrolment excluded; the probe's gc() at each round end adds one
// sample per round, its length in per_round[].probe_gc_ms);
// database_connections_peak (pg_stat_activity sampled every 250 ms; PGlite is one embedded
// connection); refused_updates by code; targets with pass/fail (reported, never asserted).
import type { NamedTensor, TaskPayload } from '@fedaln/protocol';
import { decodeBlob, encodeBlob, SiteEvent } from '@fedaln/protocol';
import * as os from 'node:os';
import { prng, reportOf, syntheticPredictions } from '../tests/e2e/support/release-study';
import { connectSite, HELLO, ScriptedSite } from '../tests/e2e/support/site-client';
import { benchStudySpec, ProbedCoordinator, type Snapshot } from './support/coordinator-snapshots';
import { benchFlags } from './support/flags';

const { json, sites: nSites, rounds } = benchFlags({ json: false, sites: 100, rounds: 10 });
const TASK_WAIT_MS = 30 * 60_000;
const AGGREGATE_TOLERANCE = 1e-6;

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: { n: number }[] }>;
  end(): Promise<void>;
}
// `pg` ships no types here (as in tests/e2e/support/fresh-database.ts).
const { Client } = require('pg') as { Client: new (o: { connectionString: string }) => PgClient };

/** A site of the run, with the instant (performance.now) each task arrived, by `kind:round`. */
interface LoadSite {
  readonly id: string;
  readonly client: ScriptedSite;
  readonly arrived: Map<string, number>;
}

async function main() {
  const probed = await ProbedCoordinator.start('load');
  const { coordinator, database } = probed;
  const connections = database.url ? new Client({ connectionString: database.url }) : null;
  const sites: LoadSite[] = [];
  try {
    const probe = probed;
    const api = (method: string, url: string, body?: unknown) => probed.api(method, url, body);

    let connPeak = 0;
    let sampling: NodeJS.Timeout | undefined;
    if (connections) {
      await connections.connect();
      const sample = async () => {
        const { rows } = await connections.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        connPeak = Math.max(connPeak, rows[0]!.n);
      };
      await sample();
      sampling = setInterval(() => void sample().catch(() => undefined), 250);
    }

    // Enrol and connect (ten at a time: each connect costs the coordinator a token check).
    const setupStart = performance.now();
    for (let i = 0; i < nSites; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, nSites - i) }, async (_, k) => {
          const enrolled = await api('POST', '/api/sites', {
            name: `load-${i + k}`,
            n_train: HELLO.n_train,
            n_test: HELLO.n_test,
          });
          const socket = await connectSite(coordinator.baseUrl, String(enrolled.enrolment_token));
          const client = new ScriptedSite(socket);
          const arrived = new Map<string, number>();
          socket.on(SiteEvent.task, (t) => arrived.set(`${t.kind}:${t.round}`, performance.now()));
          const hello = await socket.timeout(60_000).emitWithAck(SiteEvent.hello, HELLO);
          if (!hello.ok) throw new Error(`hello of load-${i + k}: ${hello.code}: ${hello.message}`);
          return { id: String(enrolled.id), client, arrived };
        }),
      );
      sites.push(...batch);
    }
    const setupMs = performance.now() - setupStart;

    const study = await api(
      'POST',
      '/api/studies',
      benchStudySpec(
        'load',
        rounds,
        sites.map((s) => s.id),
      ),
    );
    const studyId = String(study.id);
    const before = await probe.snapshot(); // start-up and enrolment end here
    await api('POST', `/api/studies/${studyId}/start`);

    const refused = new Map<string, number>();
    const acked: Map<string, string>[] = []; // per round: site id → sha256 of its ok-acked upload
    const perRound: {
      round: number;
      round_ms: number;
      round_overhead_ms: number;
      next_round_ms: number | null;
      cpu_ms: number;
      rss_mb: number;
      lag_p99_ms: number;
      probe_gc_ms: number;
      aggregate_max_abs_error: number | null;
    }[] = [];
    const snapshots: Snapshot[] = [];
    let previous = before;
    let expected: NamedTensor[] | null = null; // global + mean of the previous round's acked deltas
    let lastReport = 0;

    for (let round = 1; round <= rounds; round++) {
      const sum = new Map<string, Float64Array>();
      const ok = new Map<string, string>();
      let lastUpload = 0;
      let global: NamedTensor[] | null = null;
      const reportsSent: number[] = [];
      const reportsDone: number[] = [];
      await Promise.all(
        sites.map(async (site, i) => {
          const task: TaskPayload = await site.client.task('train', round, TASK_WAIT_MS, studyId);
          const bytes = await site.client.download(task);
          const g = global ?? (global = decodeBlob(bytes));
          const next = prng(1 + round * 100_003 + i);
          const delta = g.map((t) => ({
            name: t.name,
            shape: t.shape,
            values: Float32Array.from(t.values, () => (next() - 0.5) / 1000),
          }));
          const blob = encodeBlob(delta);
          const ack = await site.client.upload(task, blob, HELLO.n_train);
          lastUpload = Math.max(lastUpload, performance.now());
          if (ack.ok) {
            ok.set(site.id, blob.sha256);
            for (const t of delta) {
              const acc = sum.get(t.name) ?? new Float64Array(t.values.length);
              for (let j = 0; j < acc.length; j++) acc[j]! += t.values[j]!;
              sum.set(t.name, acc);
            }
          } else refused.set(ack.code, (refused.get(ack.code) ?? 0) + 1);
          const evaluate = await site.client.task('evaluate', round, TASK_WAIT_MS, studyId);
          const p = syntheticPredictions(7 + round * 1_009 + i, HELLO.n_test, 1.6);
          reportsSent.push(performance.now());
          const report = await site.client.report(evaluate, reportOf(p.labels, p.scores));
          if (!report.ok)
            throw new Error(`report of ${site.id} in round ${round}: ${report.code}: ${report.message}`);
          reportsDone.push(performance.now());
        }),
      );
      acked.push(ok);
      const g = global as NamedTensor[] | null;
      let aggregateError: number | null = null;
      if (expected && g) {
        aggregateError = 0;
        for (const [k, t] of g.entries()) {
          const e = expected[k]!;
          for (let j = 0; j < t.values.length; j++)
            aggregateError = Math.max(aggregateError, Math.abs(t.values[j]! - e.values[j]!));
        }
      }
      expected =
        g &&
        g.map((t) => {
          const acc = sum.get(t.name)!;
          return {
            name: t.name,
            shape: t.shape,
            values: Float64Array.from(t.values, (v, j) => v + acc[j]! / ok.size) as unknown as Float32Array,
          };
        });
      const trainArrivals = sites.map((s) => s.arrived.get(`train:${round}`)!);
      const evalArrivals = sites.map((s) => s.arrived.get(`evaluate:${round}`)!);
      const snap = await probe.snapshot();
      snapshots.push(snap);
      perRound.push({
        round,
        round_ms: round1(Math.max(...reportsDone) - Math.min(...trainArrivals)),
        round_overhead_ms: round1(Math.min(...evalArrivals) - lastUpload),
        next_round_ms: round > 1 ? round1(Math.min(...trainArrivals) - lastReport) : null,
        cpu_ms: round1(
          (snap.cpu_user_us + snap.cpu_system_us - previous.cpu_user_us - previous.cpu_system_us) / 1000,
        ),
        rss_mb: round1(snap.rss / 2 ** 20),
        lag_p99_ms: round1(snap.lag_p99_ms),
        probe_gc_ms: round1(snap.gc_ms),
        aggregate_max_abs_error: aggregateError,
      });
      previous = snap;
      lastReport = Math.max(...reportsSent);
    }
    if (sampling) clearInterval(sampling);

    // The coordinator's own records against what the sites sent.
    let lost = 0;
    let doubled = 0;
    for (let round = 1; round <= rounds; round++) {
      const r = await api('GET', `/api/studies/${studyId}/rounds/${round}`);
      const rows = r.participants as { site_id: string; state: string; update_sha256: string | null }[];
      const sent = acked[round - 1]!;
      for (const [siteId, sha] of sent) {
        const row = rows.filter((p) => p.site_id === siteId);
        if (!(row.length === 1 && row[0]!.state === 'uploaded' && row[0]!.update_sha256 === sha)) lost++;
        if (row.length > 1) doubled += row.length - 1;
      }
      doubled += rows.filter((p) => p.state === 'uploaded' && !sent.has(p.site_id)).length;
    }
    const checked = perRound.filter((r) => r.aggregate_max_abs_error !== null);
    const aggregateMismatches = checked.filter(
      (r) => r.aggregate_max_abs_error! > AGGREGATE_TOLERANCE,
    ).length;
    const last = snapshots[snapshots.length - 1]!;
    const first = snapshots[0]!;
    const rssGrowth = ((last.rss - first.rss) / first.rss) * 100;
    const lagP99 = last.total_lag_p99_ms ?? last.lag_p99_ms;
    const overheads = perRound.map((r) => r.round_overhead_ms);
    const nexts = perRound.flatMap((r) => (r.next_round_ms === null ? [] : [r.next_round_ms]));
    const cpus = perRound.map((r) => r.cpu_ms);
    const row = {
      name: 'load',
      sites: nSites,
      rounds,
      database: database.url ? 'postgres (DATABASE_URL)' : 'pglite',
      updates_sent_ok: acked.reduce((n, m) => n + m.size, 0),
      lost_updates: lost,
      double_counted: doubled,
      aggregates_checked: checked.length,
      aggregate_mismatches: aggregateMismatches,
      aggregate_max_abs_error: Math.max(0, ...checked.map((r) => r.aggregate_max_abs_error!)),
      refused_updates: Object.fromEntries(refused),
      setup_ms: round1(setupMs),
      round_ms_p50: median(perRound.map((r) => r.round_ms)),
      round_overhead_ms_p50: median(overheads),
      round_overhead_ms_max: Math.max(...overheads),
      next_round_ms_p50: nexts.length ? median(nexts) : null,
      next_round_ms_max: nexts.length ? Math.max(...nexts) : null,
      coordinator_cpu_ms_per_round_p50: median(cpus),
      coordinator_cpu_ms_per_round_mean: round1(cpus.reduce((a, b) => a + b, 0) / cpus.length),
      event_loop_lag_p50_ms: round1(last.total_lag_p50_ms ?? 0),
      event_loop_lag_p99_ms: round1(lagP99),
      event_loop_lag_max_ms: round1(last.total_lag_max_ms ?? 0),
      rss_mb_first_round: round1(first.rss / 2 ** 20),
      rss_mb_last_round: round1(last.rss / 2 ** 20),
      rss_growth_pct: round1(rssGrowth),
      peak_rss_mb: round1(last.max_rss_kb / 1024),
      database_connections_peak: database.url ? connPeak : 1,
      per_round: perRound,
      targets: {
        sites_100_rounds_10: nSites >= 100 && rounds >= 10,
        no_lost_update: lost === 0 && aggregateMismatches === 0,
        no_double_counted: doubled === 0 && aggregateMismatches === 0,
        event_loop_lag_p99_below_100_ms: lagP99 < 100,
        rss_growth_below_5_pct: rssGrowth < 5,
      },
      cores: os.cpus().length,
      loadavg_1m: round1(os.loadavg()[0]!),
    };
    if (json) console.log(JSON.stringify(row));
    else {
      console.log(`load: ${nSites} sites × ${rounds} rounds on ${row.database}, ${row.cores} cores`);
      for (const r of perRound)
        console.log(
          `  round ${r.round}: ${r.round_ms} ms, overhead ${r.round_overhead_ms} ms, next ${r.next_round_ms ?? '–'} ms, ` +
            `cpu ${r.cpu_ms} ms, rss ${r.rss_mb} MB, lag p99 ${r.lag_p99_ms} ms (gc ${r.probe_gc_ms} ms), aggregate error ${r.aggregate_max_abs_error ?? '–'}`,
        );
      const { per_round: _perRound, targets, ...rest } = row;
      for (const [k, v] of Object.entries(rest)) console.log(`  ${k}: ${JSON.stringify(v)}`);
      for (const [k, v] of Object.entries(targets)) console.log(`  target ${k}: ${v ? 'pass' : 'FAIL'}`);
    }
  } finally {
    for (const s of sites) s.client.close();
    await connections?.end().catch(() => undefined);
    await probed.stop();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
