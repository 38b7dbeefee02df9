// `npm run bench -- soak [--rounds 200] [--sites 5] [--every 20] [--json]` (issue 18): one
// coordinator through many rounds of the tiny model, watching what must not grow.
//   coordinator  as in load.bench.ts (bench/support/coordinator-snapshots.ts): the built `serve` on a
//                fresh database (PGlite in its data dir, or DATABASE_URL's server), the probe preloaded.
//   sites        --sites light socket.io clients in this process (tests/e2e/support/site-client.ts):
//                per round the train task, the model download, an upload of a seeded delta shaped
//                like the global model (densenet-tiny, 32 px: 193 KB), the evaluate task and a
//                metrics report of seeded predictions. No training: the load is the coordinator's.
//   study        fedavg, no screening, min_sites = --sites, --rounds rounds.
// Every --every rounds (and after the last), at the end of a round: the coordinator's RSS after
// gc(), its open file descriptors, and the bytes and files of its blob store (<data-dir>/blobs) and
// upload spools (<data-dir>/uploads). Growth is per 100 rounds from the first snapshot (round
// --every, past start-up) to the last: rss_growth_mb_per_100_rounds, blob_store_growth_mb_per_100_rounds,
// fd_growth (last − first, descriptors), spool_files_end. The blob store keeps every global model
// version by its retention rule (blobs/blob-retention.ts), so its growth is one global model per
// round (global_model_mb), the updates of finished rounds being removed.
import type { TaskPayload } from '@fedaln/protocol';
import { decodeBlob, encodeBlob, SiteEvent } from '@fedaln/protocol';
import * as os from 'node:os';
import { prng, reportOf, syntheticPredictions } from '../tests/e2e/support/release-study';
import { connectSite, HELLO, ScriptedSite } from '../tests/e2e/support/site-client';
import { benchStudySpec, ProbedCoordinator } from './support/coordinator-snapshots';
import { benchFlags } from './support/flags';

const { json, sites: nSites, rounds, every } = benchFlags({ json: false, sites: 5, rounds: 200, every: 20 });
const TASK_WAIT_MS = 10 * 60_000;
const MB = 2 ** 20;

interface Point {
  round: number;
  elapsed_s: number;
  rss_mb: number;
  heap_mb: number;
  fds: number | null;
  blob_store_mb: number;
  blob_files: number;
  spool_files: number;
}

async function main() {
  const probed = await ProbedCoordinator.start('soak');
  const sites: { id: string; client: ScriptedSite }[] = [];
  try {
    for (let i = 0; i < nSites; i++) {
      const enrolled = await probed.api('POST', '/api/sites', {
        name: `soak-${i}`,
        n_train: HELLO.n_train,
        n_test: HELLO.n_test,
      });
      const socket = await connectSite(probed.baseUrl, String(enrolled.enrolment_token));
      const hello = await socket.timeout(60_000).emitWithAck(SiteEvent.hello, HELLO);
      if (!hello.ok) throw new Error(`hello of soak-${i}: ${hello.code}: ${hello.message}`);
      sites.push({ id: String(enrolled.id), client: new ScriptedSite(socket) });
    }
    const study = await probed.api(
      'POST',
      '/api/studies',
      benchStudySpec(
        'soak',
        rounds,
        sites.map((s) => s.id),
      ),
    );
    const studyId = String(study.id);
    await probed.api('POST', `/api/studies/${studyId}/start`);
    const started = performance.now();
    const points: Point[] = [];
    const refused = new Map<string, number>();
    let globalBytes = 0;
    for (let round = 1; round <= rounds; round++) {
      await Promise.all(
        sites.map(async (site, i) => {
          const task: TaskPayload = await site.client.task('train', round, TASK_WAIT_MS, studyId);
          const bytes = await site.client.download(task);
          globalBytes = bytes.byteLength;
          const next = prng(1 + round * 100_003 + i);
          const delta = decodeBlob(bytes).map((t) => ({
            name: t.name,
            shape: t.shape,
            values: Float32Array.from(t.values, () => (next() - 0.5) / 1000),
          }));
          const ack = await site.client.upload(task, encodeBlob(delta), HELLO.n_train);
          if (!ack.ok) refused.set(ack.code, (refused.get(ack.code) ?? 0) + 1);
          const evaluate = await site.client.task('evaluate', round, TASK_WAIT_MS, studyId);
          const p = syntheticPredictions(7 + round * 1_009 + i, HELLO.n_test, 1.6);
          const report = await site.client.report(evaluate, reportOf(p.labels, p.scores));
          if (!report.ok)
            throw new Error(`report of ${site.id} in round ${round}: ${report.code}: ${report.message}`);
        }),
      );
      if (round % every !== 0 && round !== rounds) continue;
      const snap = await probed.snapshot();
      const disk = probed.storage();
      const point: Point = {
        round,
        elapsed_s: round1((performance.now() - started) / 1000),
        rss_mb: round1(snap.rss / MB),
        heap_mb: round1(snap.heap_used / MB),
        fds: snap.fds,
        blob_store_mb: round1(disk.blob_store_bytes / MB),
        blob_files: disk.blob_files,
        spool_files: disk.spool_files,
      };
      points.push(point);
      // With --json on stderr, so a run cut short still shows its snapshots.
      (json ? console.error : console.log)(`  ${JSON.stringify(point)}`);
    }
    const first = points[0]!;
    const last = points[points.length - 1]!;
    const per100 = (a: number, b: number) =>
      last.round > first.round ? round1(((b - a) / (last.round - first.round)) * 100) : null;
    const row = {
      name: 'soak',
      rounds,
      sites: nSites,
      database: probed.database.url ? 'postgres (DATABASE_URL)' : 'pglite',
      duration_s: last.elapsed_s,
      rss_mb_first: first.rss_mb,
      rss_mb_last: last.rss_mb,
      rss_growth_mb_per_100_rounds: per100(first.rss_mb, last.rss_mb),
      fds_first: first.fds,
      fds_last: last.fds,
      fd_growth: first.fds !== null && last.fds !== null ? last.fds - first.fds : null,
      blob_store_mb_first: first.blob_store_mb,
      blob_store_mb_last: last.blob_store_mb,
      blob_store_growth_mb_per_100_rounds: per100(first.blob_store_mb, last.blob_store_mb),
      blob_files_last: last.blob_files,
      global_model_mb: round1(globalBytes / MB),
      spool_files_end: last.spool_files,
      refused_updates: Object.fromEntries(refused),
      snapshots: points,
      cores: os.cpus().length,
      loadavg_1m: round1(os.loadavg()[0]!),
    };
    if (json) console.log(JSON.stringify(row));
    else {
      const { snapshots: _snapshots, ...rest } = row;
      console.log(`soak: ${nSites} sites × ${rounds} rounds on ${row.database}`);
      for (const [k, v] of Object.entries(rest)) console.log(`  ${k}: ${JSON.stringify(v)}`);
    }
  } finally {
    for (const s of sites) s.client.close();
    await probed.stop();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
