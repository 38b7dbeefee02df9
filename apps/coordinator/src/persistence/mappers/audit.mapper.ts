import type { ChainedAuditRow } from '../../audit/audit-chain';
import type { AuditEntry, AuditRecord } from '../../domain/records';
import type { AuditLogEntity } from '../entities/audit-log.entity';
import { oneOf, toDate } from './column';

const SUBJECT_TYPES: readonly AuditEntry['subjectType'][] = [
  'site',
  'study',
  'round',
  'model',
  'admin',
  'release',
];

export function auditFromEntity(e: AuditLogEntity): AuditRecord {
  return {
    id: Number(e.id),
    at: toDate(e.at),
    actor: e.actor,
    action: e.action,
    subjectType: oneOf(SUBJECT_TYPES, e.subjectType, 'audit_log.subject_type'),
    subjectId: e.subjectId,
    details: (e.details ?? {}) as Record<string, unknown>,
  };
}

/** An audit row as plain SQL selects it (`CHAIN_COLUMNS`); the chain columns are null before the migration fills them. */
export interface AuditChainRow {
  id: string;
  at: Date | string;
  actor: string;
  action: string;
  subject_type: AuditEntry['subjectType'];
  subject_id: string;
  details: Record<string, unknown> | null;
  prev_hash: string | null;
  hash: string | null;
}

export const CHAIN_COLUMNS =
  'id::text AS id, at, actor, action, subject_type, subject_id, details, prev_hash, hash';

/** The row as stored (subject_type unchecked: `audit verify` reports what is there, whatever it is). */
export function chainedFromRow(r: AuditChainRow): ChainedAuditRow {
  return {
    id: r.id,
    at: new Date(r.at),
    actor: r.actor,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    details: r.details ?? {},
    prevHash: r.prev_hash ?? '',
    hash: r.hash ?? '',
  };
}
