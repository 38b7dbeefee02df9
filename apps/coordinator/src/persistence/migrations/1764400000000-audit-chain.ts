import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditHash, GENESIS_HASH } from '../../audit/audit-chain';
import { chainedFromRow, CHAIN_COLUMNS, type AuditChainRow } from '../mappers/audit.mapper';

const BATCH = 1000;

/**
 * The audit log as a hash chain (issue 14): each row carries the previous row's hash and its own
 * (audit/audit-chain.ts). Existing rows are chained here in id order — the append-only trigger is
 * disabled for the back-fill only, inside this migration's transaction. `prev_hash` is UNIQUE, so
 * two rows can never chain to the same predecessor (a fork).
 */
export class AuditChain1764400000000 implements MigrationInterface {
  name = 'AuditChain1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text');
    await q.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete');
    let prev = GENESIS_HASH;
    let after = '0';
    for (;;) {
      const rows = (await q.query(
        `SELECT ${CHAIN_COLUMNS} FROM audit_log WHERE id > $1::bigint ORDER BY audit_log.id LIMIT ${BATCH}`,
        [after],
      )) as AuditChainRow[];
      for (const r of rows) {
        const hash = auditHash({ ...chainedFromRow(r), prevHash: prev });
        await q.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3::bigint', [
          prev,
          hash,
          r.id,
        ]);
        prev = hash;
        after = r.id;
      }
      if (rows.length < BATCH) break;
    }
    await q.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete');
    await q.query(`
      ALTER TABLE audit_log
        ALTER COLUMN prev_hash SET NOT NULL,
        ALTER COLUMN hash SET NOT NULL,
        ADD CONSTRAINT audit_log_hash_hex CHECK (hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$'),
        ADD CONSTRAINT audit_log_prev_hash_unique UNIQUE (prev_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_log
        DROP CONSTRAINT audit_log_prev_hash_unique,
        DROP CONSTRAINT audit_log_hash_hex,
        DROP COLUMN hash,
        DROP COLUMN prev_hash`);
  }
}
