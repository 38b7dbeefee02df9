import type { Site } from '../domain/records';
import type { EnrolledSite } from './sites.service';

export interface SiteResponse {
  id: string;
  name: string;
  status: string;
  created_at: string;
  revoked_at: string | null;
}

/** @example mapSite(site) // { id, name, status: 'active', created_at: '2026-…Z', revoked_at: null } */
export function mapSite(site: Site): SiteResponse {
  return {
    id: site.id,
    name: site.name,
    status: site.status,
    created_at: site.createdAt.toISOString(),
    revoked_at: site.revokedAt?.toISOString() ?? null,
  };
}

/** The only response that carries the enrolment token: the one that created it. */
export function mapEnrolledSite(e: EnrolledSite): SiteResponse & { enrolment_token: string } {
  return { ...mapSite(e.site), enrolment_token: e.enrolmentToken };
}
