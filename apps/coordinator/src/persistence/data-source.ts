import * as fs from 'node:fs';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseTarget } from '../config/app-config';
import { lockDataDir } from './data-dir-lock';
import { AdminTokenEntity } from './entities/admin-token.entity';
import { AuditLogEntity } from './entities/audit-log.entity';
import { EnrolmentTokenEntity } from './entities/enrolment-token.entity';
import { GlobalModelEntity } from './entities/global-model.entity';
import { RoundParticipantEntity } from './entities/round-participant.entity';
import { RoundEntity } from './entities/round.entity';
import { SiteEntity } from './entities/site.entity';
import { StudyEntity } from './entities/study.entity';
import { InitialSchema1764216000000 } from './migrations/1764216000000-initial-schema';
import { Releases1764230000000 } from './migrations/1764230000000-releases';
import { RoundScreening1764300000000 } from './migrations/1764300000000-round-screening';
import { ApprovedCases1764310000000 } from './migrations/1764310000000-approved-cases';
import { AuditChain1764400000000 } from './migrations/1764400000000-audit-chain';
import { oneTransactionAtATime } from './pglite-sessions';
import { ReleaseManifests1764410000000 } from './migrations/1764410000000-release-manifests';
import { ServerState1764600000000 } from './migrations/1764600000000-server-state';
import { RoundFailureReason1764700000000 } from './migrations/1764700000000-round-failure-reason';
import { PRIVATE_DIR_MODE } from './private-dir';

export const ENTITIES = [
  SiteEntity,
  EnrolmentTokenEntity,
  AdminTokenEntity,
  StudyEntity,
  RoundEntity,
  RoundParticipantEntity,
  GlobalModelEntity,
  AuditLogEntity,
];
export const MIGRATIONS = [
  InitialSchema1764216000000,
  Releases1764230000000,
  RoundScreening1764300000000,
  ApprovedCases1764310000000,
  AuditChain1764400000000,
  ReleaseManifests1764410000000,
  ServerState1764600000000,
  RoundFailureReason1764700000000,
];

/** Either a PostgreSQL URL, or a `pg`-compatible driver object (PGlite's, from typeorm-pglite). */
export type Connection = { readonly url: string } | { readonly driver: unknown };

/**
 * The coordinator's TypeORM options: our entities and hand-written migrations, never `synchronize`.
 * `gen_random_uuid()` (core since PostgreSQL 13 and present in PGlite) replaces the default
 * uuid-ossp extension, which PGlite lacks. A PGlite driver is wrapped so that its one connection
 * runs one transaction at a time (`oneTransactionAtATime`).
 *
 * @example
 * const ds = coordinatorDataSource({ url: 'postgres://postgres@127.0.0.1:5432/fedaln' });
 */
export function coordinatorDataSource(connection: Connection): DataSource {
  const options: DataSourceOptions = {
    type: 'postgres',
    ...('driver' in connection ? { driver: oneTransactionAtATime(connection.driver) } : connection),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
  } as DataSourceOptions;
  return new DataSource(options);
}

/** Connects and runs pending migrations. */
export async function initialiseDataSource(ds: DataSource): Promise<DataSource> {
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

export interface OpenDatabase {
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * Opens the configured database, migrated: PostgreSQL for `DATABASE_URL`, else PGlite in
 * `<data-dir>/pg` under an exclusive process lock (see `lockDataDir`).
 */
export async function openDatabase(target: DatabaseTarget): Promise<OpenDatabase> {
  if (target.kind === 'postgres') {
    const ds = await initialiseDataSource(coordinatorDataSource({ url: target.url }));
    return { dataSource: ds, close: () => ds.destroy() };
  }
  const release = lockDataDir(target.dataDir);
  try {
    fs.mkdirSync(target.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // Loaded lazily so a PostgreSQL deployment never loads the PGlite wasm.
    const { PGliteDriver } = await import('typeorm-pglite');
    const driver = new PGliteDriver({ dataDir: target.dataDir }).driver;
    const ds = await initialiseDataSource(coordinatorDataSource({ driver }));
    return {
      dataSource: ds,
      close: async () => {
        try {
          await ds.destroy();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
