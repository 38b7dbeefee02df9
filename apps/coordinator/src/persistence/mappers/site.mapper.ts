import type { CaseCounts, Site } from '../../domain/records';
import type { SiteEntity } from '../entities/site.entity';
import { oneOf, toDate, toDateOrNull, toNumberOrNull } from './column';

/** A pair of count columns as counts, or null when unset (the schema keeps both or neither). */
function casesOf(nTrain: unknown, nTest: unknown): CaseCounts | null {
  const train = toNumberOrNull(nTrain);
  const test = toNumberOrNull(nTest);
  return train === null || test === null ? null : { nTrain: train, nTest: test };
}

/** Also accepts raw `sites` rows (snake_case) from hand-written SQL. */
export function siteFromRow(row: SiteEntity | Record<string, unknown>): Site {
  const r = row as Record<string, unknown>;
  return {
    id: String(r.id),
    name: String(r.name),
    status: oneOf(['active', 'revoked'], r.status, 'sites.status'),
    createdAt: toDate(r.createdAt ?? r.created_at),
    revokedAt: toDateOrNull(r.revokedAt ?? r.revoked_at),
    approvedCases: casesOf(r.approvedNTrain ?? r.approved_n_train, r.approvedNTest ?? r.approved_n_test),
    claimedCases: casesOf(r.claimedNTrain ?? r.claimed_n_train, r.claimedNTest ?? r.claimed_n_test),
  };
}
