import type { DataSource, EntityManager } from 'typeorm';
import { Transactions, type UnitOfWork } from '../domain/transactions';
import { AUDIT_CHAIN_LOCK, TypeOrmAuditLog } from './typeorm-audit-log';
import { TypeOrmGlobalModelRepository } from './typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from './typeorm-participant.repository';
import { TypeOrmReleaseRepository, TypeOrmVerdictRepository } from './typeorm-release.repository';
import { TypeOrmRoundRepository } from './typeorm-round.repository';
import { TypeOrmSiteRepository } from './typeorm-site.repository';
import { TypeOrmStudyRepository } from './typeorm-study.repository';

/** The adapters over one transaction's EntityManager. */
function unitOfWork(m: EntityManager): UnitOfWork {
  return {
    studies: new TypeOrmStudyRepository(m),
    rounds: new TypeOrmRoundRepository(m),
    participants: new TypeOrmParticipantRepository(m),
    sites: new TypeOrmSiteRepository(m),
    models: new TypeOrmGlobalModelRepository(m),
    releases: new TypeOrmReleaseRepository(m),
    verdicts: new TypeOrmVerdictRepository(m),
    audit: new TypeOrmAuditLog(m),
  };
}

/**
 * One database transaction per `run` (READ COMMITTED). It takes the audit chain's lock first: every
 * transaction here appends to the audit log, and taking that lock before any row lock keeps the lock
 * order the same in all of them (no deadlock between the chain lock and a row). On PGlite the
 * transaction has the one connection to itself (`oneTransactionAtATime`).
 */
export class TypeOrmTransactions extends Transactions {
  constructor(private readonly ds: DataSource) {
    super();
  }

  run<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      return work(unitOfWork(m));
    });
  }
}
