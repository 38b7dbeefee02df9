import type { AuditLog } from '../audit/audit-log';
import type { GlobalModelRepository } from '../models/global-model.repository';
import type { ReleaseRepository, VerdictRepository } from '../releases/release.repository';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { SiteRepository } from '../sites/site.repository';
import type { StudyRepository } from '../studies/study.repository';

/**
 * The repositories and audit log of one transaction: what they write commits together, or not at all.
 */
export interface UnitOfWork {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly participants: ParticipantRepository;
  readonly sites: SiteRepository;
  readonly models: GlobalModelRepository;
  readonly releases: ReleaseRepository;
  readonly verdicts: VerdictRepository;
  readonly audit: AuditLog;
}

/**
 * Port for database transactions (the unit of work): a state change and the audit row that records
 * it are written by `work` through `tx` and commit together; if `work` throws (or the process dies)
 * neither is kept.
 *
 * Inside `work`, use only `tx`: with the embedded database (one connection) a query made through a
 * repository outside `tx` waits for this transaction to end, which waits for the query (a deadlock).
 * Publish changes, send to sockets and call other services after `run` returns.
 *
 * @example
 * await transactions.run(async (tx) => {
 *   const site = await tx.sites.revoke(id, new Date());
 *   await tx.audit.append({ actor, action: 'site.revoked', subjectType: 'site', subjectId: id, details: {} });
 * });
 */
export abstract class Transactions {
  abstract run<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T>;
}
