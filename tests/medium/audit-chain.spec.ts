/**
 * The audit log's hash chain on a real database (PGlite, and PostgreSQL when DATABASE_URL is set):
 * concurrent appends never fork it, tampering as the app's own role could (it owns the table, so it
 * can disable the append-only trigger) is found and named, and the migration chains rows written
 * before it. Attacks that pass on main: there, nothing but the trigger guards the table.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditHash, GENESIS_HASH } from '../../apps/coordinator/src/audit/audit-chain';
import { verifyAuditChain } from '../../apps/coordinator/src/audit/verify-audit-chain';
import type { AuditEntry } from '../../apps/coordinator/src/domain/records';
import {
  insertAuditRow,
  TypeOrmAuditChainReader,
  TypeOrmAuditLog,
} from '../../apps/coordinator/src/persistence/typeorm-audit-log';
import { MIGRATIONS } from '../../apps/coordinator/src/persistence/data-source';
import { AuditChain1764400000000 } from '../../apps/coordinator/src/persistence/migrations/1764400000000-audit-chain';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

const entry = (i: number): AuditEntry => ({
  actor: 'system',
  action: 'test.appended',
  subjectType: 'study',
  subjectId: `s${i}`,
  details: { i, nested: { b: [1, 2.5, 'x'], a: null }, when: new Date(Date.UTC(2026, 0, i)) },
});

/** What the app's role can do to its own table: switch the trigger off around a statement. */
async function tamper(db: TestDatabase, sql: string, params: unknown[] = []): Promise<void> {
  await db.dataSource.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
  try {
    await db.dataSource.query(sql, params);
  } finally {
    await db.dataSource.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
  }
}

describe.each(databaseTargets())('audit chain on %s', (target) => {
  let db: TestDatabase;
  let audit: TypeOrmAuditLog;
  let reader: TypeOrmAuditChainReader;
  beforeAll(async () => {
    db = await openTestDatabase(target, 'audit_chain');
    audit = new TypeOrmAuditLog(db.dataSource);
    reader = new TypeOrmAuditChainReader(db.dataSource);
  });
  afterAll(async () => {
    await db?.close();
  });

  /** Each test starts from an empty log (the trigger refuses TRUNCATE, so it is switched off). */
  async function empty(): Promise<void> {
    await db.dataSource.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate');
    await db.dataSource.query('TRUNCATE audit_log');
    await db.dataSource.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate');
  }

  it('chains 40 concurrent appends without a fork, each row hashed over the one before', async () => {
    await empty();
    await Promise.all(Array.from({ length: 40 }, (_, i) => audit.append(entry(i + 1))));
    const result = await verifyAuditChain(reader);
    expect(result).toMatchObject({ ok: true, rows: 40 });
    const rows = await reader.page(null, 100);
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prevHash).toBe(rows[i - 1]?.hash);
    // Every hash recomputes from what the database gives back (jsonb re-orders keys; the date went in as a Date).
    for (const r of rows) expect(auditHash(r)).toBe(r.hash);
    const head = await reader.head();
    expect(head).toEqual({ id: rows[39]?.id, hash: rows[39]?.hash, at: rows[39]?.at });
    expect(result.ok && result.head).toEqual(head);
  });

  it('the database refuses a second row chained to the same predecessor (a fork)', async () => {
    await empty();
    await audit.append(entry(1));
    await expect(
      db.dataSource.query(
        `INSERT INTO audit_log (actor, action, subject_type, subject_id, details, prev_hash, hash)
         VALUES ('x', 'x', 'study', 'x', '{}', $1, $2)`,
        [GENESIS_HASH, 'f'.repeat(64)],
      ),
    ).rejects.toThrow(/audit_log_prev_hash_unique/);
  });

  it('names a row whose details were edited', async () => {
    await empty();
    for (let i = 1; i <= 5; i++) await audit.append(entry(i));
    const rows = await reader.page(null, 10);
    const victim = rows[2]!;
    await tamper(db, `UPDATE audit_log SET details = '{"i": 99}' WHERE id = $1`, [victim.id]);
    const result = await verifyAuditChain(reader);
    expect(result).toMatchObject({
      ok: false,
      rows: 2,
      broken: { id: victim.id, field: 'hash', found: victim.hash },
    });
  });

  it('names the row after a deleted one', async () => {
    await empty();
    for (let i = 1; i <= 5; i++) await audit.append(entry(i));
    const rows = await reader.page(null, 10);
    await tamper(db, 'DELETE FROM audit_log WHERE id = $1', [rows[1]!.id]);
    expect(await verifyAuditChain(reader)).toMatchObject({
      ok: false,
      broken: { id: rows[2]!.id, field: 'prev_hash', expected: rows[0]!.hash, found: rows[1]!.hash },
    });
  });

  it('names an inserted row, and the row after one inserted with a correct hash', async () => {
    await empty();
    for (let i = 1; i <= 3; i++) await audit.append(entry(i));
    const rows = await reader.page(null, 10);
    // At the end, hashed the way a forger who does not know the encoding would.
    await db.dataSource.query(
      `INSERT INTO audit_log (actor, action, subject_type, subject_id, details, prev_hash, hash)
       VALUES ('admin', 'release.created', 'release', '9', '{}', $1, $2)`,
      [rows[2]!.hash, 'a'.repeat(64)],
    );
    const atEnd = await verifyAuditChain(reader);
    expect(atEnd).toMatchObject({ ok: false, rows: 3, broken: { field: 'hash', found: 'a'.repeat(64) } });
    expect(atEnd.ok || Number(atEnd.broken.id) > Number(rows[2]!.id)).toBe(true);

    // In the middle, by one who knows it: into a gap of ids (a rolled-back append leaves one),
    // chained to the row before and correctly hashed. The unique prev_hash must be dropped first.
    await empty();
    await audit.append(entry(1));
    await db.dataSource.query(`SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))`); // the gap
    await audit.append(entry(2));
    const [first, second] = await reader.page(null, 10);
    await db.dataSource.query('ALTER TABLE audit_log DROP CONSTRAINT audit_log_prev_hash_unique');
    try {
      const forged = {
        id: String(BigInt(first!.id) + 1n),
        at: new Date(),
        actor: 'admin',
        action: 'site.cases_approved',
        subjectType: 'site' as const,
        subjectId: 'forged',
        details: { approved_cases: { n_train: 10_000, n_test: 1 } },
        prevHash: first!.hash,
      };
      await insertAuditRow(db.dataSource, { ...forged, hash: auditHash(forged) });
      expect(await verifyAuditChain(reader)).toMatchObject({
        ok: false,
        rows: 2,
        broken: { id: second!.id, field: 'prev_hash', expected: auditHash(forged), found: first!.hash },
      });
    } finally {
      await tamper(db, 'DELETE FROM audit_log');
      await db.dataSource.query(
        'ALTER TABLE audit_log ADD CONSTRAINT audit_log_prev_hash_unique UNIQUE (prev_hash)',
      );
    }
  });

  it('a deleted tail passes alone and fails against the anchored head', async () => {
    await empty();
    for (let i = 1; i <= 3; i++) await audit.append(entry(i));
    const head = (await reader.head())!;
    await tamper(db, 'DELETE FROM audit_log WHERE id = $1', [head.id]);
    expect(await verifyAuditChain(reader)).toMatchObject({ ok: true, rows: 2 });
    expect(await verifyAuditChain(reader, { id: head.id, hash: head.hash })).toMatchObject({
      ok: false,
      broken: { id: head.id, field: 'anchor', found: 'no such row' },
    });
  });

  it('an append rolled back with its transaction leaves no row and the chain whole', async () => {
    await empty();
    await audit.append(entry(1));
    await expect(
      db.dataSource.transaction(async (m) => {
        await new TypeOrmAuditLog(m).append(entry(2));
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    await audit.append(entry(3));
    const rows = await reader.page(null, 10);
    expect(rows.map((r) => r.subjectId)).toEqual(['s1', 's3']);
    expect(await verifyAuditChain(reader)).toMatchObject({ ok: true, rows: 2 });
  });

  it('the migration chains the rows written before it, in id order', async () => {
    await empty();
    // Back to the schema before the chain (undoing the migrations after it first).
    const after = MIGRATIONS.length - MIGRATIONS.indexOf(AuditChain1764400000000);
    for (let i = 0; i < after; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
    try {
      for (let i = 1; i <= 3; i++) {
        await db.dataSource.query(
          `INSERT INTO audit_log (at, actor, action, subject_type, subject_id, details)
           VALUES ($1::timestamptz, 'cli', 'site.enrolled', 'site', $2, $3::jsonb)`,
          [
            new Date(Date.UTC(2026, 0, i, 1, 2, 3, 4)).toISOString(),
            `old${i}`,
            JSON.stringify({ name: `H${i}`, i }),
          ],
        );
      }
    } finally {
      await db.dataSource.runMigrations({ transaction: 'each' });
    }
    await audit.append(entry(4));
    const result = await verifyAuditChain(reader);
    expect(result).toMatchObject({ ok: true, rows: 4 });
    const rows = await reader.page(null, 10);
    expect(rows.map((r) => r.subjectId)).toEqual(['old1', 'old2', 'old3', 's4']);
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    // The back-fill left the append-only trigger on.
    await expect(db.dataSource.query(`UPDATE audit_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
  });
});
