import type { AuditEntry, AuditRecord } from '../domain/records';
import type { ChainedAuditRow, ChainHead } from './audit-chain';

/**
 * Port for the append-only audit log (DESIGN.md "Security"): entries are inserted, never changed,
 * each one chained to the one before by its hash (`audit-chain.ts`). An append inside
 * `Transactions.run` commits or rolls back with the state change it records.
 */
export abstract class AuditLog {
  abstract append(entry: AuditEntry): Promise<void>;
  abstract list(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<AuditRecord[]>;
}

/** Reads the chain for `audit verify` and `audit head`. */
export abstract class AuditChainReader {
  /** The last row, or null for an empty log. */
  abstract head(): Promise<ChainHead | null>;
  /** Up to `limit` rows with an id above `afterId` (all from the first when null), in id order. */
  abstract page(afterId: string | null, limit: number): Promise<ChainedAuditRow[]>;
}
