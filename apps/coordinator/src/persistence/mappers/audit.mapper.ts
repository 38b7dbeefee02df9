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
