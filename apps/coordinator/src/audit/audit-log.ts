import type { AuditEntry, AuditRecord } from '../domain/records';

/** Port for the append-only audit log (DESIGN.md "Security"): entries are inserted, never changed. */
export abstract class AuditLog {
  abstract append(entry: AuditEntry): Promise<void>;
  abstract list(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<AuditRecord[]>;
}
