/**
 * The coordinator's socket edges in process: the app `serve` runs (`createApp`), on the test
 * database, listening on a free port, with real socket.io clients on `/site` and `/monitor`.
 *
 * Nest 12 ships as ES modules, which jest's CommonJS sandbox cannot load on Node 20 (jest loads
 * `require(esm)` only from Node 24.9). So the app comes from the build (`apps/coordinator/dist`, made
 * by `npm ci` / `npx tsc -b`) through Node's own loader, as coordinator-database.ts loads PGlite —
 * and with it everything that must share the app's classes: its DataSource, the services `app.get`
 * looks up, the port the test's initial model implements. Rebuild after changing the coordinator.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  encodeBlob,
  FRAME_BYTES,
  MONITOR_NAMESPACE,
  MonitorEvent,
  SiteEvent,
  type HelloPayload,
  type MonitorClientToServerEvents,
  type MonitorServerToClientEvents,
  type ProtocolError,
  type RoundStateEvent,
  type TaskPayload,
} from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { DatabaseTarget } from '../../apps/coordinator/src/config/app-config';
import type { OpenDatabase } from '../../apps/coordinator/src/persistence/data-source';
import { adminApi } from '../e2e/support/coordinator';
import { connectSite, expectOk, HELLO, type SiteSocket } from '../e2e/support/site-client';
import { databaseTargets, openTestDatabase, type TargetName } from './coordinator-database';
import { exampleStudySpec } from './coordinator-fixtures';

jest.setTimeout(120_000); // PGlite, Nest and scrypt on two busy cores

const DIST = path.join(__dirname, '../../apps/coordinator/dist');

/** A module of the built coordinator, loaded by Node itself (outside jest's module sandbox). */
function fromBuild<M>(file: string): M {
  const load = (
    nodeModule as unknown as { _load: (request: string, parent: null, isMain: boolean) => unknown }
  )._load;
  return load(path.join(DIST, file), null, false) as M;
}

const { createApp } = fromBuild<typeof import('../../apps/coordinator/src/serve')>('serve.js');
const { AppConfig } =
  fromBuild<typeof import('../../apps/coordinator/src/config/app-config')>('config/app-config.js');
const { openDatabase } = fromBuild<typeof import('../../apps/coordinator/src/persistence/data-source')>(
  'persistence/data-source.js',
);
const { createLogger } =
  fromBuild<typeof import('../../apps/coordinator/src/telemetry/logger')>('telemetry/logger.js');
const { AdminAuthService } = fromBuild<typeof import('../../apps/coordinator/src/auth/admin-auth.service')>(
  'auth/admin-auth.service.js',
);
const { TypeOrmAdminTokenRepository } = fromBuild<
  typeof import('../../apps/coordinator/src/persistence/typeorm-admin-token.repository')
>('persistence/typeorm-admin-token.repository.js');
const { TypeOrmAuditLog } = fromBuild<
  typeof import('../../apps/coordinator/src/persistence/typeorm-audit-log')
>('persistence/typeorm-audit-log.js');
const { InitialModelFactory } = fromBuild<
  typeof import('../../apps/coordinator/src/models/initial-model.factory')
>('models/initial-model.factory.js');
const { SitesService } =
  fromBuild<typeof import('../../apps/coordinator/src/sites/sites.service')>('sites/sites.service.js');
const { StudiesService } = fromBuild<typeof import('../../apps/coordinator/src/studies/studies.service')>(
  'studies/studies.service.js',
);

const ADMIN = 'medium-sockets-admin-token-0123456789';
/**
 * Version 0: a weights blob that spans two download frames. Its values are never read here, but its
 * header is: an upload's size is bounded by the layout of the model its round trains from.
 */
const INITIAL = encodeBlob([
  { name: 'w', shape: [FRAME_BYTES / 4 + 1080], values: new Float32Array(FRAME_BYTES / 4 + 1080) },
]).bytes;
/** A hello the typed contract forbids (`cores` is a count), as a broken or hostile client could send it. */
const malformedHello = { ...HELLO, cores: 'two' } as unknown as HelloPayload;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

class FixedBytesInitialModel extends InitialModelFactory {
  async create(): Promise<Uint8Array> {
    return INITIAL;
  }
}

/**
 * The database the app runs on: PGlite in the data dir, as `serve` opens it; or, with DATABASE_URL,
 * a fresh PostgreSQL database made (and dropped afterwards) by coordinator-database.ts.
 */
async function appDatabase(
  target: TargetName,
  dataDir: string,
): Promise<OpenDatabase & { target: DatabaseTarget }> {
  if (target === 'pglite') {
    const pglite = { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') } as const;
    return { ...(await openDatabase(pglite)), target: pglite };
  }
  const fresh = await openTestDatabase('postgres', 'sockets');
  const postgres = { kind: 'postgres', url: (fresh.dataSource.options as { url: string }).url } as const;
  const db = await openDatabase(postgres);
  return {
    dataSource: db.dataSource,
    target: postgres,
    close: async () => {
      await db.close();
      await fresh.close();
    },
  };
}

/** Every `round:state` the dashboard has been sent, and a wait for the one to come. */
class RoundStates {
  readonly seen: RoundStateEvent[] = [];
  private readonly waiting: {
    match: (e: RoundStateEvent) => boolean;
    resolve: (e: RoundStateEvent) => void;
  }[] = [];

  constructor(monitor: MonitorSocket) {
    monitor.on(MonitorEvent.roundState, (e) => {
      this.seen.push(e);
      for (const w of this.waiting.filter((w) => w.match(e))) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve(e);
      }
    });
  }

  next(studyId: string, state: RoundStateEvent['state']): Promise<RoundStateEvent> {
    const match = (e: RoundStateEvent) => e.study_id === studyId && e.state === state;
    const already = this.seen.find(match);
    if (already) return Promise.resolve(already);
    return new Promise((resolve) => this.waiting.push({ match, resolve }));
  }
}

type MonitorSocket = Socket<MonitorServerToClientEvents, MonitorClientToServerEvents>;

/** A `/monitor` client with `token`, connected; or the handshake's refusal, thrown. */
async function monitorWith(baseUrl: string, token: string): Promise<MonitorSocket> {
  const options = { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true };
  const monitor: MonitorSocket = io(baseUrl + MONITOR_NAMESPACE, options);
  const refusal = await new Promise<Error | null>((settle) => {
    monitor.once('connect', () => settle(null));
    monitor.once('connect_error', settle);
  });
  if (refusal) {
    monitor.close();
    throw refusal;
  }
  return monitor;
}

describe.each(databaseTargets())('coordinator sockets on %s (createApp in process)', (target) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-medium-sockets-'));
  let db: Awaited<ReturnType<typeof appDatabase>>;
  let app: Awaited<ReturnType<typeof createApp>>;
  let baseUrl = '';
  let siteToken = '';
  let siteId = '';
  let site: SiteSocket;
  let states: RoundStates;
  let studyId = '';
  /** The train task of round 1, once the test below has made the site receive it. */
  let task: TaskPayload;
  const opened: { close(): unknown }[] = [];

  beforeAll(async () => {
    db = await appDatabase(target, dataDir);
    const adminAuth = new AdminAuthService(
      new TypeOrmAdminTokenRepository(db.dataSource),
      ADMIN,
      new TypeOrmAuditLog(db.dataSource),
    );
    await adminAuth.initialise();
    app = await createApp({
      config: new AppConfig(dataDir, 0, db.target, ADMIN, 'silent'),
      dataSource: db.dataSource,
      logger: createLogger('silent'),
      initialModels: new FixedBytesInitialModel(),
      adminAuth,
    });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const enrolled = await app.get(SitesService).enrol('Hospital Medium', 'admin');
    siteToken = enrolled.enrolmentToken;
    siteId = enrolled.site.id;
    const monitor = await monitorWith(baseUrl, ADMIN);
    opened.push(monitor);
    states = new RoundStates(monitor);
  });

  afterAll(async () => {
    for (const socket of opened) socket.close();
    await app?.close();
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps idle HTTP connections for a minute and says so (Keep-Alive: timeout=65), not Node's 5 s", async () => {
    // A keep-alive client reads this hint; the default 5 s let a loaded fetch client reuse a
    // connection the server had just closed (listen-config.ts, HTTP_KEEP_ALIVE_TIMEOUT_MS).
    const agent = new http.Agent({ keepAlive: true });
    try {
      const header = await new Promise<string | undefined>((resolve, reject) => {
        http
          .get(`${baseUrl}/metrics`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.headers['keep-alive'])));
          })
          .on('error', reject);
      });
      expect(header).toBe('timeout=65');
    } finally {
      agent.destroy();
    }
  });

  it('refuses a bad enrolment token at the handshake', async () => {
    const [tokenId] = siteToken.split('.');
    for (const bad of ['not-a-token', `${tokenId}.${'x'.repeat(43)}`]) {
      await expect(connectSite(baseUrl, bad)).rejects.toThrow(
        /^unauthenticated: the enrolment token is unknown/,
      );
    }
    await expect(connectSite(baseUrl, '')).rejects.toThrow(/^unauthenticated: send the site enrolment token/);
  });

  it('refuses a wrong admin token on /monitor', async () => {
    await expect(monitorWith(baseUrl, `${ADMIN}-not`)).rejects.toThrow('unauthenticated: wrong admin token');
  });

  it('refuses a malformed hello and keeps the site connected', async () => {
    site = await connectSite(baseUrl, siteToken);
    opened.push(site);
    const ack = await site.timeout(30_000).emitWithAck(SiteEvent.hello, malformedHello);
    expect(ack.ok).toBe(false);
    expect(site.connected).toBe(true);
  });

  // The global REST pipe leaves socket bodies to the gateway's pipe (http/rest-validation.pipe.ts);
  // before that fix this ack was `internal` ("retry later").
  it('acks a malformed hello with bad_request, naming the field', async () => {
    const ack = await site.timeout(30_000).emitWithAck(SiteEvent.hello, malformedHello);
    expect(ack).toMatchObject({ ok: false, code: 'bad_request', message: expect.stringContaining('cores') });
  });

  it('a valid hello that brings a running study to its quorum gets the site a train task', async () => {
    const spec = exampleStudySpec([siteId], { min_sites: 1, rounds: 1 });
    studyId = (await app.get(StudiesService).create(spec, 'admin')).id;
    expect((await adminApi(baseUrl, ADMIN, 'POST', `/api/studies/${studyId}/start`)).status).toBe(200);
    const sent = new Promise<TaskPayload>((resolve) => site.once(SiteEvent.task, resolve));
    const hello = expectOk(await site.timeout(30_000).emitWithAck(SiteEvent.hello, HELLO));
    expect(hello.site_id).toBe(siteId);
    task = await sent;
    // Round 1 trains from version 0, the initial model (DESIGN.md "Rounds").
    expect(task).toMatchObject({
      kind: 'train',
      study_id: studyId,
      round: 1,
      model_version: 0,
      model_sha256: sha256(INITIAL),
      model_bytes: INITIAL.length,
    });
  });

  it('download:begin and download:frame serve the initial model, byte for byte', async () => {
    const s = site.timeout(30_000);
    const begin = expectOk(
      await s.emitWithAck(SiteEvent.downloadBegin, {
        study_id: studyId,
        round: 1,
        model_sha256: task.model_sha256,
      }),
    );
    // frames = ⌈bytes / FRAME_BYTES⌉ (protocol frames.ts): one full frame and 4321 bytes.
    expect(begin).toMatchObject({ bytes: INITIAL.length, frames: 2, frame_bytes: FRAME_BYTES });
    const indices = Array.from({ length: begin.frames }, (_, index) => index);
    const frames = await Promise.all(
      indices.map(async (index) =>
        expectOk(await s.emitWithAck(SiteEvent.downloadFrame, { download_id: begin.download_id, index })),
      ),
    );
    const bytes = Buffer.concat(frames.map((f) => Buffer.from(f.data)));
    expect(frames.map((f) => f.index)).toEqual(indices);
    expect(sha256(bytes)).toBe(task.model_sha256);
  });

  // Issue 13: a site's FedAvg weight is the case count the lead approved, never its own word.
  describe('approved case counts', () => {
    const begin = (nTrain: number) =>
      site.timeout(30_000).emitWithAck(SiteEvent.uploadBegin, {
        study_id: studyId,
        round: 1,
        sha256: 'c'.repeat(64),
        bytes: INITIAL.length,
        n_train: nTrain,
      });
    const sites = () => adminApi(baseUrl, ADMIN, 'GET', '/api/sites');
    const approve = (id: string, body: unknown, token = ADMIN) =>
      adminApi(baseUrl, token, 'POST', `/api/sites/${id}/cases`, body);

    it('keeps the counts a hello claims as claimed, not approved', async () => {
      const listed = (await sites()).json as unknown as { id: string }[];
      expect(listed.find((x) => x.id === siteId)).toMatchObject({
        approved_cases: null,
        claimed_cases: { n_train: HELLO.n_train, n_test: HELLO.n_test },
      });
    });

    it('refuses upload:begin while no count is approved, naming the value and the fix', async () => {
      expect(await begin(HELLO.n_train)).toEqual({
        ok: false,
        code: 'forbidden',
        message: `n_train ${HELLO.n_train} refused: this site has no approved case count yet (expected n_train ≤ the approved count); ask the lead to approve your counts on the dashboard`,
      });
    });

    it.each([
      ['a negative count', { n_train: -1, n_test: 25 }, 'n_train must not be less than 0'],
      ['a fraction', { n_train: 1.5, n_test: 25 }, 'n_train must be an integer number'],
      ['no n_test', { n_train: 50 }, 'n_test must be an integer number'],
      ['more than 2^24', { n_train: 2 ** 24 + 1, n_test: 25 }, 'n_train must not be greater than 16777216'],
    ])('POST /api/sites/:id/cases with %s → 400', async (_, body, message) => {
      const r = await approve(siteId, body);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toContain(message);
    });

    it('POST /api/sites/:id/cases: 401 without the admin token, 400 for a bad id, 404 for an unknown one', async () => {
      const body = { n_train: 50, n_test: 25 };
      expect((await approve(siteId, body, `${ADMIN}-not`)).status).toBe(401);
      expect((await approve('nope', body)).status).toBe(400);
      expect((await approve('00000000-0000-4000-8000-000000000000', body)).status).toBe(404);
    });

    it('POST /api/sites with only one of n_train / n_test → 400', async () => {
      const r = await adminApi(baseUrl, ADMIN, 'POST', '/api/sites', { name: 'Half', n_train: 10 });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toContain('n_train and n_test go together');
      const both = await adminApi(baseUrl, ADMIN, 'POST', '/api/sites', {
        name: 'Counted',
        n_train: 10,
        n_test: 3,
      });
      expect(both).toMatchObject({ status: 201, json: { approved_cases: { n_train: 10, n_test: 3 } } });
    });

    it('the lead approves; the approval is audit-logged; a larger n_train is refused, the approved one taken', async () => {
      const r = await approve(siteId, { n_train: 50, n_test: 25 });
      expect(r).toMatchObject({
        status: 200,
        json: { approved_cases: { n_train: 50, n_test: 25 }, claimed_cases: { n_train: 100, n_test: 25 } },
      });
      const audit = await new TypeOrmAuditLog(db.dataSource).list('site', siteId);
      expect(audit.find((e) => e.action === 'site.cases_approved')).toMatchObject({
        actor: 'admin',
        details: {
          approved_cases: { n_train: 50, n_test: 25 },
          previous: null,
          claimed: { n_train: 100, n_test: 25 },
        },
      });
      expect(await begin(2 ** 24)).toEqual({
        ok: false,
        code: 'forbidden',
        message:
          'n_train 16777216 exceeds the 50 training cases approved for this site; ask the lead to approve your counts on the dashboard',
      });
      expect(await begin(50)).toMatchObject({ ok: true, next_frame: 0 });
    });
  });

  it('/monitor sees the round open, train and, after the lead aborts the study, fail', async () => {
    await states.next(studyId, 'training');
    const aborted = await adminApi(baseUrl, ADMIN, 'POST', `/api/studies/${studyId}/abort`);
    expect(aborted).toMatchObject({ status: 200, json: { status: 'aborted' } });
    await states.next(studyId, 'failed');
    // Round machine: opened (waiting) → quorumReached (training) → abort (failed).
    const ofStudy = states.seen.filter((e) => e.study_id === studyId);
    expect(ofStudy.map((e) => [e.round, e.state])).toEqual([
      [1, 'waiting'],
      [1, 'training'],
      [1, 'failed'],
    ]);
  });

  // Issue 13: the token used to be checked only at the handshake, so a revoked site's open socket
  // kept working (hello ok, upload:begin reaching the study lookup).
  it('revoking a site closes its open socket at once, saying why, and its reconnect is refused', async () => {
    const { site: revoked, enrolmentToken } = await app.get(SitesService).enrol('Hospital Revoked', 'admin');
    const socket = await connectSite(baseUrl, enrolmentToken);
    opened.push(socket);
    expectOk(await socket.timeout(30_000).emitWithAck(SiteEvent.hello, HELLO));
    const told = new Promise<ProtocolError>((resolve) => socket.once(SiteEvent.error, resolve));
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const res = await adminApi(baseUrl, ADMIN, 'POST', `/api/sites/${revoked.id}/revoke`);
    expect(res).toMatchObject({ status: 200, json: { status: 'revoked' } });
    expect(await told).toMatchObject({ code: 'site_revoked', message: expect.stringContaining('enrol') });
    expect(await closed).toBe('io server disconnect');
    await expect(connectSite(baseUrl, enrolmentToken)).rejects.toThrow(/^unauthenticated: .*revoked/);
  });

  it('a session whose site was revoked elsewhere (another process) has its next request refused and is closed', async () => {
    const { site: other, enrolmentToken } = await app.get(SitesService).enrol('Hospital Elsewhere', 'admin');
    const socket = await connectSite(baseUrl, enrolmentToken);
    opened.push(socket);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    // Straight in the table, as the `site revoke` CLI on a shared PostgreSQL would: this coordinator is not told.
    await db.dataSource.query(`UPDATE sites SET status = 'revoked', revoked_at = now() WHERE id = $1`, [
      other.id,
    ]);
    const ack = await socket.timeout(30_000).emitWithAck(SiteEvent.uploadBegin, {
      study_id: studyId,
      round: 1,
      sha256: 'a'.repeat(64),
      bytes: 1000,
      n_train: 10,
    });
    expect(ack).toMatchObject({
      ok: false,
      code: 'site_revoked',
      message: expect.stringContaining(other.id),
    });
    expect(await closed).toBe('io server disconnect');
  });
});
