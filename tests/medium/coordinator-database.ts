/**
 * Databases for the coordinator's medium tests: an in-memory PGlite always, and a fresh PostgreSQL
 * database per test file when DATABASE_URL is set (dropped afterwards), both migrated from empty.
 */
import * as nodeModule from 'node:module';
import type { DataSource } from 'typeorm';
import {
  coordinatorDataSource,
  initialiseDataSource,
} from '../../apps/coordinator/src/persistence/data-source';

export type TargetName = 'pglite' | 'postgres';

export interface TestDatabase {
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** The targets to run against: PGlite, plus PostgreSQL when DATABASE_URL is set. */
export function databaseTargets(): TargetName[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * PGlite loads its wasm and helpers with dynamic `import()`, which jest's module sandbox refuses
 * without --experimental-vm-modules. Node's own loader (`Module._load`, which jest does not wrap)
 * loads it outside the sandbox, where dynamic import works; the coordinator itself imports it normally.
 */
export function pgliteDriver(dataDir?: string): unknown {
  const load = (
    nodeModule as unknown as { _load: (request: string, parent: null, isMain: boolean) => unknown }
  )._load;
  const { PGliteDriver } = load(require.resolve('typeorm-pglite'), null, false) as {
    PGliteDriver: new (options: object) => { driver: unknown };
  };
  // PGlite's own timestamp serializer tests `instanceof Date`, which fails for Dates made inside the
  // sandbox (another realm); serialise anything Date-like by its ISO string instead.
  const iso = (v: unknown) => (v instanceof Object && 'toISOString' in v ? (v as Date).toISOString() : v);
  const TIMESTAMPTZ = 1184;
  const TIMESTAMP = 1114;
  // In memory unless `dataDir` names a coordinator's database folder (`<data-dir>/pg`, not in use).
  return new PGliteDriver({ dataDir, serializers: { [TIMESTAMPTZ]: iso, [TIMESTAMP]: iso } }).driver;
}

export async function openTestDatabase(target: TargetName, label: string): Promise<TestDatabase> {
  if (target === 'pglite') {
    const ds = await initialiseDataSource(coordinatorDataSource({ driver: pgliteDriver() }));
    return { dataSource: ds, close: () => ds.destroy() };
  }
  const adminUrl = process.env.DATABASE_URL as string;
  const name = `fedaln_${label}_${process.pid}_${Date.now().toString(36)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const ds = await initialiseDataSource(coordinatorDataSource({ url: url.toString() }));
  return {
    dataSource: ds,
    close: async () => {
      await ds.destroy();
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** One statement on the server's own database (CREATE/DROP DATABASE cannot run inside the target). */
async function admin(url: string, sql: string): Promise<void> {
  const ds = await coordinatorDataSource({ url }).initialize();
  try {
    await ds.query(sql);
  } finally {
    await ds.destroy();
  }
}
