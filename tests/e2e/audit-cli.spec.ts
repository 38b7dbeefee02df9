/**
 * `fedaln-coordinator audit verify` and `audit head` as a lead runs them: on the embedded database
 * of a data dir (PGlite) and, when DATABASE_URL is set, on PostgreSQL. A row edited behind the app's
 * back (trigger disabled, as the app's own role can) is named with a non-zero exit; so is a tail
 * cut off after its head was anchored.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { coordinatorDataSource } from '../../apps/coordinator/src/persistence/data-source';
import { pgliteDriver } from '../medium/coordinator-database';
import { assertBuilt, runCli } from './coordinator-process';

interface Target {
  readonly name: string;
  readonly url: string | null;
  /** The database, opened by the test while no CLI holds it. */
  open(dataDir: string): Promise<DataSource>;
  drop(): Promise<void>;
}

function targets(): Target[] {
  const pglite: Target = {
    name: 'pglite',
    url: null,
    open: (dataDir) => coordinatorDataSource({ driver: pgliteDriver(path.join(dataDir, 'pg')) }).initialize(),
    drop: async () => undefined,
  };
  const admin = process.env.DATABASE_URL;
  if (!admin) return [pglite];
  const name = `fedaln_audit_cli_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const onAdmin = async (sql: string) => {
    const ds = await coordinatorDataSource({ url: admin }).initialize();
    try {
      await ds.query(sql);
    } finally {
      await ds.destroy();
    }
  };
  const postgres: Target = {
    name: 'postgres',
    url: url.toString(),
    open: async () => {
      await onAdmin(`CREATE DATABASE ${name}`).catch(() => undefined);
      return coordinatorDataSource({ url: url.toString() }).initialize();
    },
    drop: () => onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
  return [pglite, postgres];
}

describe.each(targets())('fedaln-coordinator audit on $name', (target) => {
  let dataDir: string;
  beforeAll(async () => {
    assertBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-audit-cli-'));
    if (target.url) await (await target.open(dataDir)).destroy(); // creates the database
  });
  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await target.drop();
  });

  const run = (args: string[]) => runCli([...args, '--data-dir', dataDir], target.url ?? undefined);

  /** Runs one statement as the app's role could, with the append-only trigger switched off. */
  async function tamper(sql: string): Promise<void> {
    const ds = await target.open(dataDir);
    try {
      await ds.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
      await ds.query(sql);
      await ds.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    } finally {
      await ds.destroy();
    }
  }

  it('verifies a clean chain, exports its head, then names an edited row and a cut tail', async () => {
    // Ten CLI runs, each opening the database (PGlite: ~2 s each on a busy machine).
    for (const name of ['Hospital A', 'Hospital B', 'Hospital C']) {
      expect((await run(['site', 'add', '--name', name])).code).toBe(0);
    }
    const clean = await run(['audit', 'verify']);
    expect(clean).toMatchObject({ code: 0 });
    expect(clean.stdout).toMatch(/^audit chain verified: 3 rows; head 3:[0-9a-f]{64} at /);

    const headOut = await run(['audit', 'head', '--json']);
    expect(headOut.code).toBe(0);
    const head = JSON.parse(headOut.stdout) as { id: string; hash: string; at: string };
    expect(head).toMatchObject({ id: '3', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const anchored = await run(['audit', 'verify', '--anchor', `${head.id}:${head.hash}`]);
    expect(anchored.code).toBe(0);
    expect(anchored.stdout).toMatch(/contains the anchored row 3/);

    await tamper(`UPDATE audit_log SET details = '{"name": "Hospital Z"}' WHERE id = 2`);
    const edited = await run(['audit', 'verify']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(
      /audit chain broken after 1 good rows\n {2}row 2: its contents hash to [0-9a-f]{64} but its hash column is/,
    );

    await tamper(`DELETE FROM audit_log WHERE id >= 2`);
    // Shortened to one good row: self-consistent, so only the anchored head shows the cut.
    expect((await run(['audit', 'verify'])).code).toBe(0);
    const cut = await run(['audit', 'verify', '--anchor', `${head.id}:${head.hash}`]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/row 3, the anchored head, is not in the chain \(its last row is 1\)/);
  }, 600_000); // ten CLI runs: ~2 s each idle, over 18 s each at load average 20 (180 s ran out there)

  it('refuses a malformed --anchor with exit 2, naming the flag', async () => {
    const r = await run(['audit', 'verify', '--anchor', '3:nothex']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--anchor "3:nothex" is not ID:HASH/);
  });
});
