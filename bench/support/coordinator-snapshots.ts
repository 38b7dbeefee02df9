/**
 * The coordinator as the load and soak benchmarks run it: the built `fedaln-coordinator serve` as a
 * child process on a fresh database (PGlite in its data dir; a fresh database on DATABASE_URL's
 * server when set) with bench/support/coordinator-probe.cjs preloaded, so the CPU, RSS (after gc()),
 * peak RSS, event-loop lag and open file descriptors a snapshot reports are the coordinator's own,
 * not the bench's site clients'; and the size of what it keeps on disk (blob store, upload spools).
 *
 * @example
 * const c = await ProbedCoordinator.start('soak');
 * const s = await c.snapshot(); // s.rss, s.fds
 * const disk = c.storage(); // { blob_store_bytes, blob_files, spool_files, spool_bytes }
 * await c.stop();
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Coordinator, freePort } from '../../tests/e2e/support/coordinator';
import { freshDatabase, type FreshDatabase } from '../../tests/e2e/support/fresh-database';

/** One line of coordinator-probe.cjs (see its header). */
export interface Snapshot {
  seq: number;
  rss: number;
  heap_used: number;
  max_rss_kb: number;
  cpu_user_us: number;
  cpu_system_us: number;
  lag_p99_ms: number;
  gc_ms: number;
  /** Open file descriptors of the coordinator (/proc/self/fd; null where there is no /proc). */
  fds: number | null;
  total_lag_samples: number;
  total_lag_p50_ms: number | null;
  total_lag_p99_ms: number | null;
  total_lag_max_ms: number | null;
}

/** What the coordinator keeps on disk: the blob store and the upload spools. */
export interface Storage {
  blob_store_bytes: number;
  blob_files: number;
  spool_files: number;
  spool_bytes: number;
}

export class ProbedCoordinator {
  private seen = 0;

  private constructor(
    readonly admin: string,
    readonly coordinator: Coordinator,
    readonly database: FreshDatabase,
    readonly dataDir: string,
    private readonly probeFile: string,
  ) {}

  /** Starts a coordinator on a fresh database and data dir (`label` names both). */
  static async start(label: string): Promise<ProbedCoordinator> {
    const database = await freshDatabase(label);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fedaln-${label}-`));
    const probeFile = path.join(dataDir, 'probe.jsonl');
    const preload = path.join(__dirname, 'coordinator-probe.cjs');
    const admin = `bench-admin-${randomBytes(12).toString('hex')}`;
    const coordinator = new Coordinator(await freePort(), dataDir, {
      FEDALN_ADMIN_TOKEN: admin,
      DATABASE_URL: database.url,
      FEDALN_BENCH_PROBE: probeFile,
      NODE_OPTIONS: `--expose-gc --require ${preload}`,
    });
    const probed = new ProbedCoordinator(admin, coordinator, database, dataDir, probeFile);
    try {
      await coordinator.start(120_000);
    } catch (e) {
      await probed.stop();
      throw e;
    }
    return probed;
  }

  get baseUrl(): string {
    return this.coordinator.baseUrl;
  }

  /** A REST call as the lead; resolves the parsed JSON, throws on a status ≥ 300. */
  async api(method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await fetch(this.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${this.admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  }

  /** SIGUSR2 to the coordinator; resolves its next snapshot line. */
  async snapshot(): Promise<Snapshot> {
    process.kill(this.coordinator.pid, 'SIGUSR2');
    for (const end = Date.now() + 60_000; ;) {
      const lines = fs.existsSync(this.probeFile)
        ? fs.readFileSync(this.probeFile, 'utf8').trim().split('\n')
        : [];
      if (lines.length > this.seen && lines[this.seen]) return JSON.parse(lines[this.seen++]!) as Snapshot;
      if (Date.now() > end) throw new Error(`the coordinator's probe wrote no snapshot to ${this.probeFile}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Bytes and files under `<data-dir>/blobs` and `<data-dir>/uploads` now. */
  storage(): Storage {
    const blobs = tally(path.join(this.dataDir, 'blobs'));
    const spools = tally(path.join(this.dataDir, 'uploads'));
    return {
      blob_store_bytes: blobs.bytes,
      blob_files: blobs.files,
      spool_files: spools.files,
      spool_bytes: spools.bytes,
    };
  }

  async stop(): Promise<void> {
    await this.coordinator.kill('SIGTERM');
    await this.database.drop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Files and bytes under `dir`, recursively (none when it does not exist). */
function tally(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

/**
 * The study spec the load and soak benches run: densenet-tiny at 32 px with random weights, one
 * epoch a round, FedAvg without screening, every enrolled site required each round.
 */
export function benchStudySpec(name: string, rounds: number, siteIds: readonly string[]) {
  return {
    name,
    arch: 'densenet-tiny',
    input_size: 32,
    init_weights: 'random',
    rounds,
    local_epochs: 1,
    batch_size: 4,
    learning_rate: 0.001,
    min_sites: siteIds.length,
    round_deadline_s: 600,
    sites: [...siteIds],
    robustness: { aggregator: 'fedavg', screening: false },
    release_policy: {
      min_site_auc: 0.6,
      min_pooled_auc: 0.6,
      dca_range: [0.2, 0.5],
      min_sites_passing: 'all',
    },
  };
}
