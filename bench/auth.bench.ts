// `npm run bench -- auth [--json] [--requests 120] [--static 40]`: what a bearer-token check costs the
// coordinator, before and after issue 14, measured in one run against the app `serve` runs (createApp
// from the build, in this process, PGlite in a temporary data dir, loopback as a trusted proxy so each
// request names its client with X-Forwarded-For).
//   after   the product: tokens carry their row's id (fa_<id>_<secret>), at most one scrypt a
//           request, none for an unknown id or a malformed token; failed attempts limited per address.
//   before  the peer, kept here only: the same app with an admin check that runs scrypt on every
//           presented token (what the coordinator did before: the admin check came first, for any
//           token), straight into libuv's pool (no queue of at most 2), with no failed-auth limit (the limiter belongs to the product's token check, so
//           the peer's requests come from addresses rotated every 10 requests, below its burst).
// Rows (`--json`: one object a line, name "auth"):
//   cpu       ms of process CPU (process.cpuUsage: user + system, every thread, so scrypt in the libuv
//             pool counts) per request, over --requests sequential requests, for `floor` (GET /healthz,
//             no token: the HTTP and client cost every row includes), `authenticated` (the admin
//             token), `unauthenticated` (unknown-id tokens from many addresses) and `flood` (wrong
//             admin-shaped tokens from one address: 429 after the first 20 in the product); each row
//             after a warm-up of a quarter as many requests;
//             ratio = before / after.
//   static    p50 and p95 latency (ms) of the dashboard page (GET /, no token), --static fetches
//             started every 50 ms: with no flood, and while --requests wrong admin-shaped tokens sent
//             at once are answered, from one address and from as many addresses (each under the
//             limit: every one costs a scrypt, but the product runs at most 2 at once).
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  fromBuild,
  startInProcess,
  type InProcessCoordinator,
} from '../tests/adversarial/support/in-process-coordinator';
import { benchFlags } from './support/flags';

const { json, requests, static: staticFetches } = benchFlags({ json: false, requests: 120, static: 40 });

const src = fromBuild<typeof import('../apps/coordinator/src/auth/admin-auth.service')>(
  'auth/admin-auth.service.js',
);
type AdminTokenRepository =
  import('../apps/coordinator/src/auth/admin-token.repository').AdminTokenRepository;
type AuditLog = import('../apps/coordinator/src/audit/audit-log').AuditLog;
type SecretHash = import('../apps/coordinator/src/domain/records').SecretHash;

/** The peer: scrypt on every presented token, as the coordinator's admin check did before issue 14. */
class ScryptPerTokenAdmin extends src.AdminAuthService {
  private stored: SecretHash | null = null;

  constructor(
    private readonly repo: AdminTokenRepository,
    audit: AuditLog,
  ) {
    super(repo, undefined, audit);
  }

  override async initialise(): Promise<string | null> {
    const fresh = await super.initialise();
    this.stored = await this.repo.current();
    return fresh;
  }

  /** As secret-hash.ts's verifySecret was: node's scrypt straight into the libuv pool, no queue. */
  override verify(token: string): Promise<boolean> {
    const presented = token.startsWith('fa_admin_') ? token.slice('fa_admin_'.length) : token;
    const { salt, hash } = this.stored as SecretHash;
    const expected = Buffer.from(hash, 'base64');
    return new Promise((resolve, reject) =>
      scrypt(presented, Buffer.from(salt, 'base64'), expected.length, (err, key) =>
        err ? reject(err) : resolve(timingSafeEqual(key, expected)),
      ),
    );
  }
}

const secret = () => randomBytes(32).toString('base64url');
const address = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;

function get(c: InProcessCoordinator, route: string, token: string | null, from: string): Promise<number> {
  const headers: Record<string, string> = { 'x-forwarded-for': from };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(c.baseUrl + route, { headers }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

/** CPU ms per request of `n` sequential requests made by `one(i)`, and the statuses seen. */
async function cpuPerRequest(n: number, one: (i: number) => Promise<number>) {
  for (let i = 0; i < n / 4; i++) await one(n + i); // warm-up (the JIT, the connection pool)
  const statuses = new Map<number, number>();
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const s = await one(i);
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000 / n, statuses: Object.fromEntries(statuses) };
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

/** Dashboard fetches start this often (each on its own connection), whether or not earlier ones returned. */
const STATIC_EVERY_MS = 50;

/**
 * Latencies (ms) of `k` dashboard fetches started every STATIC_EVERY_MS, while `flood` (if any),
 * started with the first, runs. (Fetched one after another, the first fetch during a scrypt flood
 * waits for the whole flood — the libuv pool that reads the file is busy with the queued scrypts —
 * and the rest find the server idle: a p50 that hides it.)
 */
async function staticLatencies(c: InProcessCoordinator, k: number, flood: (() => Promise<unknown>) | null) {
  const running = flood?.();
  const ms = await Promise.all(
    Array.from({ length: k }, async (_, i) => {
      await sleep(i * STATIC_EVERY_MS);
      const t0 = performance.now();
      await get(c, '/', null, '192.0.2.1');
      return performance.now() - t0;
    }),
  );
  await running;
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

/** Nest prints its bootstrap to stdout, which would break `--json`: it goes to stderr instead. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await f();
  } finally {
    process.stdout.write = write;
  }
}

async function measure(scheme: 'before' | 'after') {
  const c = await quietly(() =>
    startInProcess(`auth-bench-${scheme}`, {
      adminAuth: scheme === 'before' ? (repo, audit) => new ScryptPerTokenAdmin(repo, audit) : undefined,
    }),
  );
  // One address for the product; for the peer, which had no limit, a fresh one every 10 requests.
  const attacker = (base: number, i: number) =>
    scheme === 'after' ? address(base) : address(base + 1 + Math.floor(Math.abs(i) / 10));
  try {
    await c.enrol('Bench Hospital'); // so GET /api/sites lists a row
    const rows = {
      floor: await cpuPerRequest(requests, (i) => get(c, '/healthz', null, address(i))),
      authenticated: await cpuPerRequest(requests, () => get(c, '/api/sites', c.adminToken, '192.0.2.2')),
      unauthenticated: await cpuPerRequest(requests, (i) =>
        get(c, '/api/sites', `fa_${randomUUID()}_${secret()}`, address(1000 + Math.floor(i / 10))),
      ),
      flood: await cpuPerRequest(requests, (i) =>
        get(c, '/api/sites', `fa_admin_${secret()}`, attacker(10_000, i)),
      ),
    };
    const quiet = await staticLatencies(c, staticFetches, null);
    const flooded = await staticLatencies(c, staticFetches, () =>
      Promise.all(
        Array.from({ length: requests }, (_, i) =>
          get(c, '/api/sites', `fa_admin_${secret()}`, attacker(20_000, i)),
        ),
      ),
    );
    const spread = await staticLatencies(c, staticFetches, () =>
      Promise.all(
        Array.from({ length: requests }, (_, i) =>
          get(c, '/api/sites', `fa_admin_${secret()}`, address(30_000 + i)),
        ),
      ),
    );
    return { rows, quiet, flooded, spread };
  } finally {
    await c.close();
  }
}

async function main(): Promise<void> {
  const before = await measure('before');
  const after = await measure('after');
  const out: object[] = [];
  for (const kind of ['floor', 'authenticated', 'unauthenticated', 'flood'] as const) {
    const b = before.rows[kind];
    const a = after.rows[kind];
    out.push({
      name: 'auth',
      row: 'cpu',
      case: kind,
      requests,
      before_cpu_ms_per_request: +b.ms.toFixed(3),
      after_cpu_ms_per_request: +a.ms.toFixed(3),
      ratio: +(b.ms / a.ms).toFixed(2),
      before_statuses: b.statuses,
      after_statuses: a.statuses,
    });
  }
  for (const [when, b, a] of [
    ['no flood', before.quiet, after.quiet],
    [`${requests} wrong tokens at once from one address`, before.flooded, after.flooded],
    [`${requests} wrong tokens at once from ${requests} addresses`, before.spread, after.spread],
  ] as const) {
    out.push({
      name: 'auth',
      row: 'static',
      case: when,
      fetches: staticFetches,
      every_ms: STATIC_EVERY_MS,
      before_p50_ms: +b.p50.toFixed(1),
      after_p50_ms: +a.p50.toFixed(1),
      before_p95_ms: +b.p95.toFixed(1),
      after_p95_ms: +a.p95.toFixed(1),
    });
  }
  if (json) {
    for (const o of out) console.log(JSON.stringify(o));
    return;
  }
  console.log(
    `auth: ${requests} requests a row, CPU ms per request (process.cpuUsage), ${path.basename(__filename)}`,
  );
  for (const o of out as Record<string, unknown>[]) {
    if (o.row === 'cpu') {
      console.log(
        `  ${String(o.case).padEnd(16)} before ${String(o.before_cpu_ms_per_request).padStart(7)}  after ${String(o.after_cpu_ms_per_request).padStart(7)}  ratio ${o.ratio}  ${JSON.stringify(o.after_statuses)}`,
      );
    } else {
      console.log(
        `  dashboard p50 (${o.case}): before ${o.before_p50_ms} ms, after ${o.after_p50_ms} ms (p95 ${o.before_p95_ms} / ${o.after_p95_ms})`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
