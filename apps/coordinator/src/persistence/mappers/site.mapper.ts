import type { Site } from '../../domain/records';
import type { SiteEntity } from '../entities/site.entity';
import { oneOf, toDate, toDateOrNull } from './column';

/** Also accepts raw `sites` rows (snake_case) from hand-written SQL. */
export function siteFromRow(row: SiteEntity | Record<string, unknown>): Site {
  const r = row as Record<string, unknown>;
  return {
    id: String(r.id),
    name: String(r.name),
    status: oneOf(['active', 'revoked'], r.status, 'sites.status'),
    createdAt: toDate(r.createdAt ?? r.created_at),
    revokedAt: toDateOrNull(r.revokedAt ?? r.revoked_at),
  };
}
