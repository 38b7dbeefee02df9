/**
 * The federation end to end (issue 5 acceptance): the built coordinator and three built
 * `fedaln-site run` processes on phantom data (libs/phantom, 3 sites × 40 cases at 32 px) train
 * densenet-tiny for 2 rounds — on PGlite, and on the PostgreSQL server when DATABASE_URL is set.
 * Site 3 reaches the coordinator through a TCP relay that stops forwarding once its update's
 * bytes start to flow (the only upstream traffic above a few KB), so the site is provably
 * mid-upload when it is SIGKILLed; started again on the same work dir it must resume the saved
 * upload instead of retraining, and the round must complete.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { clinicalFeatureRows, fitLogistic } from '@fedaln/metrics';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { adminApi, Coordinator, freePort } from './support/coordinator';
import { freshDatabase, type FreshDatabase } from './support/fresh-database';
import { startNode, waitUntil } from './support/processes';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '../..');
const SITE_BIN = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');
const ADMIN = 'e2e-federation-admin-token-0123456789';
const CASES = 40;
/** Upstream bytes a site sends before its update: hello, acks and metrics reports, a few KB. */
const UPLOAD_STARTED_BYTES = 64 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-federation-'));
const phantom = path.join(tmp, 'phantom');

interface Proc {
  child: ChildProcess;
  log: () => string;
  exit: Promise<number | null>;
}

/** `fedaln-site run` for phantom site k, its token in the environment. */
function runSite(k: number, url: string, token: string, workDir: string): Proc {
  const p = startNode(
    SITE_BIN,
    [
      'run',
      ...['--coordinator', url, '--data', path.join(phantom, `site${k}`), '--work-dir', workDir],
      ...['--arch', 'densenet-tiny', '--input-size', '32', '--engine', 'auto'],
    ],
    { env: { ...process.env, FEDALN_SITE_TOKEN: token }, name: `site ${k}` },
  );
  return { child: p.child, log: p.err, exit: p.exit.then(({ code }) => code) };
}

/**
 * A TCP relay to the coordinator that forwards everything until a connection has sent
 * {@link UPLOAD_STARTED_BYTES} upstream, then holds the rest: the upload has begun and cannot end.
 */
async function stallingRelay(targetPort: number) {
  let stalled = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      const room = UPLOAD_STARTED_BYTES - sent;
      if (room > 0) upstream.write(chunk.subarray(0, room));
      sent += chunk.length;
      if (sent > UPLOAD_STARTED_BYTES) stalled = true;
    });
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stalled: () => stalled,
    close: () => {
      sockets.forEach((s) => s.destroy());
      server.close();
    },
  };
}

beforeAll(() => {
  const gen = spawnSync(process.execPath, [
    path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
    ...['--sites', '3', '--cases', String(CASES), '--size', '32', '--seed', '11', '--out', phantom],
  ]);
  expect(gen.status).toBe(0);
});

const databases = process.env.DATABASE_URL ? ['PGlite', 'PostgreSQL'] : ['PGlite'];

describe.each(databases)('federation on %s', (database) => {
  let db: FreshDatabase;
  let coordinator: Coordinator;
  const dir = path.join(tmp, database);
  const procs: Proc[] = [];
  const api = (method: string, url: string, body?: unknown) =>
    adminApi(coordinator.baseUrl, ADMIN, method, url, body);

  beforeAll(async () => {
    db = await freshDatabase('federation', database === 'PostgreSQL' ? process.env.DATABASE_URL : undefined);
    const env = { FEDALN_ADMIN_TOKEN: ADMIN, DATABASE_URL: db.url };
    coordinator = new Coordinator(await freePort(), path.join(dir, 'coordinator'), env);
    await coordinator.start();
  });

  afterAll(async () => {
    procs.forEach((p) => p.child.exitCode === null && p.child.kill('SIGKILL'));
    await coordinator?.kill('SIGTERM');
    await db?.drop();
  });

  it('3 site clients train densenet-tiny for 2 rounds; a site SIGKILLed mid-upload resumes and the round completes', async () => {
    const sites: { id: string; token: string }[] = [];
    for (const k of [1, 2, 3]) {
      // The lead approves each site's counts at enrolment: 40 phantom cases, 32 train and 8 test.
      const r = await api('POST', '/api/sites', { name: `site${k}`, n_train: 32, n_test: 8 });
      expect(r.status).toBe(201);
      sites.push({ id: String(r.json.id), token: String(r.json.enrolment_token) });
    }
    const spec = exampleStudySpec(
      sites.map((s) => s.id),
      {
        name: `federation e2e (${database})`,
        rounds: 2,
        min_sites: 3,
        batch_size: 8,
        learning_rate: 0.005,
        // 8 test cases a site: under the default k = 5 every score summary would be withheld (the rule
        // is tested in tests/adversarial/report-privacy.spec.ts); phantom data, so k = 1 here.
        privacy: {
          min_cell_count: 1,
          override_reason: 'phantom data, no patients: the e2e test reads the paired AUCs',
        },
      },
    );
    const created = await api('POST', '/api/studies', spec);
    expect(created.status).toBe(201);
    const studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);

    const relay = await stallingRelay(coordinator.port);
    const work = (k: number): string => path.join(dir, `work${k}`);
    const [site1, site2, killed] = [1, 2, 3].map((k) =>
      runSite(k, k === 3 ? relay.url : coordinator.baseUrl, sites[k - 1]!.token, work(k)),
    );
    procs.push(site1!, site2!, killed!);
    await waitUntil('site 3 to be mid-upload', () => relay.stalled());
    killed!.child.kill('SIGKILL');
    expect(await killed!.exit).toBeNull(); // killed, no exit code
    relay.close();
    const uploads = path.join(work(3), 'uploads');
    expect(fs.readdirSync(uploads).some((f) => f.endsWith('.json'))).toBe(true);

    const again = runSite(3, coordinator.baseUrl, sites[2]!.token, work(3));
    procs.push(again);
    await waitUntil('the study to complete', async () => {
      for (const p of [site1!, site2!, again]) {
        if (p.child.exitCode !== null) throw new Error(`a site exited early:\n${p.log()}`);
      }
      return (await api('GET', `/api/studies/${studyId}`)).json.status === 'completed';
    });
    // The study completes when the coordinator has the last report; the site logs it (and keeps its
    // copy of the report) only after the ack: stopping the sites before that line loses it.
    for (const p of [site1!, site2!, again]) {
      await waitUntil('each site to log its round 2 evaluation', () => {
        if (p.child.exitCode !== null) throw new Error(`a site exited early:\n${p.log()}`);
        return /round 2: evaluated v2 /.test(p.log());
      });
    }
    for (const p of [site1!, site2!, again]) p.child.kill('SIGTERM');
    await Promise.all([site1!, site2!, again].map((p) => p.exit));
    [site1!, site2!, killed!, again].forEach((p, k) =>
      fs.writeFileSync(path.join(dir, `site-run${k + 1}.log`), p.log()),
    );

    // The killed site had trained round 1 and had not finished its upload.
    expect(killed!.log()).toMatch(/round 1: trained/);
    expect(killed!.log()).not.toContain('round 1: update uploaded');
    expect(again.log()).toMatch(
      /round 1: resuming the saved upload \(0\.\d MB, frame 0\/1 acknowledged before\)/,
    );
    expect(again.log()).not.toContain('round 1: training');
    expect(again.log()).toMatch(/round 1: update uploaded and accepted/);
    expect(fs.readdirSync(uploads)).toEqual([]);
    // 40 cases, stratified 80/20 (libs/phantom split): 32 train and 8 test cases per site.
    for (const p of [site1!, site2!, again]) {
      expect(p.log()).toMatch(/round 2: update uploaded and accepted \(0\.\d MB, n_train 32\)/);
      expect(p.log()).toMatch(/round 2: evaluated v2 on 8 test cases, AUC/);
    }
    // Issue 14: each client kept a copy of the reports it sent; scripts/privacy-audit.js reads them
    // under the study's k (1 here, recorded in each copy).
    for (const k of [1, 2]) {
      expect(fs.readdirSync(path.join(work(k), 'reports')).sort()).toEqual([
        `${studyId}-r1.json`,
        `${studyId}-r2.json`,
      ]);
      const audit = spawnSync(process.execPath, [path.join(ROOT, 'scripts/privacy-audit.js'), work(k)], {
        encoding: 'utf8',
      });
      expect([audit.status, audit.stdout]).toEqual([
        0,
        expect.stringContaining('2 reports: no released count below k'),
      ]);
    }
    for (const n of [1, 2]) {
      const round = await api('GET', `/api/studies/${studyId}/rounds/${n}`);
      expect(round.json.state).toBe('completed');
      const participants = round.json.participants as { site_id: string; n_train: number | null }[];
      expect(participants.map((p) => [p.site_id, p.n_train]).sort()).toEqual(
        sites.map((s) => [s.id, 32]).sort(),
      );
    }
    // Issue 6: the four-feature baseline, fitted by federated IRLS before round 1's evaluation, is
    // the pooled fit (fitLogistic on the union of the three sites' train rows of labels.csv), and
    // every site's report of both rounds pairs the DenseNet with it (AUC and DeLong p).
    const stored = JSON.parse(
      fs.readFileSync(path.join(coordinator.dataDir, 'metrics', studyId, 'feature-model.json'), 'utf8'),
    ) as { coefficients: number[]; sites: string[] };
    expect([...stored.sites].sort()).toEqual(sites.map((s) => s.id).sort());
    const trainRows: Record<string, string>[] = [1, 2, 3].flatMap((k) => {
      const [header, ...lines] = fs
        .readFileSync(path.join(phantom, `site${k}`, 'labels.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(','));
      return lines.map((l) => Object.fromEntries(header!.map((h, i) => [h, l[i] ?? ''])));
    });
    const train = trainRows.filter((r) => r.split === 'train');
    expect(train).toHaveLength(3 * 32);
    const pooled = fitLogistic(
      clinicalFeatureRows(train),
      train.map((r) => Number(r.aln_metastasis)),
    );
    expect(pooled.coefficients).not.toBeNull();
    expect(stored.coefficients).toHaveLength(5);
    stored.coefficients.forEach((b, j) => expect(Math.abs(b - pooled.coefficients![j]!)).toBeLessThan(1e-8));
    for (const n of [1, 2]) {
      const metrics = await api('GET', `/api/studies/${studyId}/rounds/${n}/metrics`);
      expect(metrics.status).toBe(200);
      const reported = metrics.json.sites as {
        report: { paired: { auc_b: number | null; p: number | null } | null };
        feature_baseline: { auc: number | null; p_vs_model: number | null } | null;
      }[];
      expect(reported).toHaveLength(3);
      for (const s of reported) {
        expect(typeof s.report.paired?.auc_b).toBe('number');
        expect(typeof s.report.paired?.p).toBe('number');
        expect(s.feature_baseline?.auc).toBe(s.report.paired!.auc_b);
      }
    }
    for (const p of [site1!, again])
      expect(p.log()).toMatch(/four-feature model AUC 0\.\d{3}, paired DeLong p/);

    // The global model of round 2 exists and its announced hash is its content's.
    const res = await fetch(`${coordinator.baseUrl}/api/studies/${studyId}/models/2`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    const { createHash } = await import('node:crypto');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(res.headers.get('x-content-sha256'));
  });
});
