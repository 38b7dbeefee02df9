/**
 * The coordinator app `serve` runs (`createApp`), in this process, on PGlite in a temporary data
 * dir, listening on loopback: for tests that count what a request costs inside the coordinator
 * (scrypt calls, say). Like tests/medium/coordinator-sockets.spec.ts it loads the app from the build
 * (`apps/coordinator/dist`, Nest ships as ES modules jest's sandbox cannot load) through Node's own
 * loader. `trustedProxies` defaults to loopback, so a test picks its client's address with
 * `X-Forwarded-For` and one test's failed attempts do not limit another's.
 */
import * as fs from 'node:fs';
import * as nodeModule from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const DIST = path.join(__dirname, '../../../apps/coordinator/dist');

/** A module of the built coordinator (or a Node built-in), loaded by Node itself, outside jest's sandbox. */
export function fromBuild<M>(file: string): M {
  const load = (
    nodeModule as unknown as { _load: (request: string, parent: null, isMain: boolean) => unknown }
  )._load;
  return load(file.startsWith('node:') ? file : path.join(DIST, file), null, false) as M;
}

type Src = typeof import('../../../apps/coordinator/src/serve') &
  typeof import('../../../apps/coordinator/src/config/app-config') &
  typeof import('../../../apps/coordinator/src/persistence/data-source') &
  typeof import('../../../apps/coordinator/src/telemetry/logger') &
  typeof import('../../../apps/coordinator/src/auth/admin-auth.service') &
  typeof import('../../../apps/coordinator/src/persistence/typeorm-admin-token.repository') &
  typeof import('../../../apps/coordinator/src/persistence/typeorm-audit-log') &
  typeof import('../../../apps/coordinator/src/models/initial-model.factory') &
  typeof import('../../../apps/coordinator/src/sites/sites.service');

function build(): Src {
  return Object.assign(
    {},
    ...[
      'serve.js',
      'config/app-config.js',
      'persistence/data-source.js',
      'telemetry/logger.js',
      'auth/admin-auth.service.js',
      'persistence/typeorm-admin-token.repository.js',
      'persistence/typeorm-audit-log.js',
      'models/initial-model.factory.js',
      'sites/sites.service.js',
    ].map((f) => fromBuild<object>(f)),
  ) as Src;
}

export interface InProcessCoordinator {
  readonly baseUrl: string;
  /** The generated admin token (`fa_admin_…`), as `serve` prints it on first start. */
  readonly adminToken: string;
  enrol(name: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

type AdminAuthService = import('../../../apps/coordinator/src/auth/admin-auth.service').AdminAuthService;
type AdminTokenRepository =
  import('../../../apps/coordinator/src/auth/admin-token.repository').AdminTokenRepository;
type AuditLog = import('../../../apps/coordinator/src/audit/audit-log').AuditLog;

export interface InProcessOptions {
  /** The bytes of study version 0 (never parsed unless a test runs a round). */
  readonly initialModel?: Uint8Array;
  /** Default loopback, so a caller picks its client's address with `X-Forwarded-For`. */
  readonly trustedProxies?: readonly string[];
  /** Another admin token check in place of the product's (a benchmark's peer). */
  readonly adminAuth?: (repo: AdminTokenRepository, audit: AuditLog) => AdminAuthService;
}

/**
 * Starts the app with a generated (stored, scrypt-hashed) admin token, as `serve` does without
 * FEDALN_ADMIN_TOKEN.
 */
export async function startInProcess(
  label: string,
  options: InProcessOptions = {},
): Promise<InProcessCoordinator> {
  const src = build();
  const initialModel = options.initialModel ?? new Uint8Array(16);
  const trustedProxies = options.trustedProxies ?? ['127.0.0.1', '::1'];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fedaln-${label}-`));
  const target = { kind: 'pglite', dataDir: path.join(dataDir, 'pg') } as const;
  const db = await src.openDatabase(target);
  const repo = new src.TypeOrmAdminTokenRepository(db.dataSource);
  const audit = new src.TypeOrmAuditLog(db.dataSource);
  const adminAuth = options.adminAuth?.(repo, audit) ?? new src.AdminAuthService(repo, undefined, audit);
  const adminToken = await adminAuth.initialise();
  if (!adminToken) throw new Error('a fresh database should have generated an admin token');
  class FixedInitialModel extends src.InitialModelFactory {
    async create(): Promise<Uint8Array> {
      return initialModel;
    }
  }
  const app = await src.createApp({
    config: new src.AppConfig(dataDir, 0, target, undefined, 'silent', 0, trustedProxies),
    dataSource: db.dataSource,
    logger: src.createLogger('silent'),
    initialModels: new FixedInitialModel(),
    adminAuth,
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    baseUrl,
    adminToken,
    enrol: async (name) => {
      const { site, enrolmentToken } = await app.get(src.SitesService).enrol(name, 'admin');
      return { id: site.id, token: enrolmentToken };
    },
    close: async () => {
      await app.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
