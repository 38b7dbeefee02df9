import type { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { AuditEntry, AuditRecord } from '../domain/records';
import { AuditLogEntity } from './entities/audit-log.entity';
import { auditFromEntity } from './mappers/audit.mapper';

/** Insert-only; the table's trigger refuses UPDATE, DELETE and TRUNCATE as well. */
export class TypeOrmAuditLog extends AuditLog {
  constructor(private readonly ds: DataSource) {
    super();
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.ds
      .getRepository(AuditLogEntity)
      .insert({ ...entry, details: { ...entry.details }, at: new Date() });
  }

  async list(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<AuditRecord[]> {
    const rows = await this.ds
      .getRepository(AuditLogEntity)
      .find({ where: { subjectType, subjectId }, order: { id: 'ASC' } });
    return rows.map(auditFromEntity);
  }
}
