import type { DataSource, EntityManager } from 'typeorm';
import {
  auditHash,
  GENESIS_HASH,
  jsonValue,
  type ChainedAuditRow,
  type ChainHead,
} from '../audit/audit-chain';
import { AuditChainReader, AuditLog } from '../audit/audit-log';
import type { AuditEntry, AuditRecord } from '../domain/records';
import { AuditLogEntity } from './entities/audit-log.entity';
import { auditFromEntity, chainedFromRow, CHAIN_COLUMNS, type AuditChainRow } from './mappers/audit.mapper';

/**
 * Key of the transaction-scoped advisory lock that serialises appends, so two concurrent appends
 * cannot both chain to the same head (the UNIQUE prev_hash constraint would refuse the second).
 * Any constant no other code of this database uses.
 */
export const AUDIT_CHAIN_LOCK = 4_171_620_140_014;

/**
 * Appends one chained row inside the caller's transaction: takes the chain lock (held to commit or
 * rollback), reads the head, draws the next id, and inserts the row with its hash. The id is drawn
 * under the lock, so ids grow in chain order; a rolled-back append leaves a gap in ids, never in
 * the chain.
 */
export async function appendChained(m: EntityManager, entry: AuditEntry): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = (await m.query('SELECT hash FROM audit_log ORDER BY audit_log.id DESC LIMIT 1')) as {
    hash: string;
  }[];
  const [next] = (await m.query(`SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))::text AS id`)) as {
    id: string;
  }[];
  const row = {
    id: (next as { id: string }).id,
    at: new Date(),
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    details: jsonValue(entry.details),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  await insertAuditRow(m, { ...row, hash: auditHash(row) });
}

/** One INSERT of a complete row (also how the tests forge one). */
export async function insertAuditRow(db: DataSource | EntityManager, row: ChainedAuditRow): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (id, at, actor, action, subject_type, subject_id, details, prev_hash, hash)
     VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
    [
      row.id,
      row.at.toISOString(),
      row.actor,
      row.action,
      row.subjectType,
      row.subjectId,
      JSON.stringify(row.details),
      row.prevHash,
      row.hash,
    ],
  );
}

/**
 * Insert-only; the table's trigger refuses UPDATE, DELETE and TRUNCATE as well. Over a transaction's
 * manager (`TypeOrmTransactions`) an append joins that transaction; over the DataSource it runs in a
 * transaction of its own.
 */
export class TypeOrmAuditLog extends AuditLog {
  constructor(private readonly db: DataSource | EntityManager) {
    super();
  }

  async append(entry: AuditEntry): Promise<void> {
    const inTransaction = (this.db as EntityManager).queryRunner?.isTransactionActive === true;
    if (inTransaction) await appendChained(this.db as EntityManager, entry);
    else await this.db.transaction((m) => appendChained(m, entry));
  }

  async list(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<AuditRecord[]> {
    const rows = await this.db
      .getRepository(AuditLogEntity)
      .find({ where: { subjectType, subjectId }, order: { id: 'ASC' } });
    return rows.map(auditFromEntity);
  }
}

export class TypeOrmAuditChainReader extends AuditChainReader {
  constructor(private readonly db: DataSource | EntityManager) {
    super();
  }

  async head(): Promise<ChainHead | null> {
    const [row] = (await this.db.query(
      'SELECT id::text AS id, hash, at FROM audit_log ORDER BY audit_log.id DESC LIMIT 1',
    )) as { id: string; hash: string; at: Date | string }[];
    return row ? { id: row.id, hash: row.hash, at: new Date(row.at) } : null;
  }

  async page(afterId: string | null, limit: number): Promise<ChainedAuditRow[]> {
    const rows = (await (afterId === null
      ? this.db.query(`SELECT ${CHAIN_COLUMNS} FROM audit_log ORDER BY audit_log.id LIMIT $1`, [limit])
      : this.db.query(
          `SELECT ${CHAIN_COLUMNS} FROM audit_log WHERE id > $1::bigint ORDER BY audit_log.id LIMIT $2`,
          [afterId, limit],
        ))) as AuditChainRow[];
    return rows.map(chainedFromRow);
  }
}
