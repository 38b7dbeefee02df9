import type { CaseCounts, Site } from '../domain/records';
import type { EnrolledSite } from './sites.service';

export interface CaseCountsResponse {
  n_train: number;
  n_test: number;
}

export interface SiteResponse {
  id: string;
  name: string;
  status: string;
  created_at: string;
  revoked_at: string | null;
  /** What the lead approved: the bound of the site's weight and its evaluation size. */
  approved_cases: CaseCountsResponse | null;
  /** What the site last claimed in `hello` (not trusted until approved). */
  claimed_cases: CaseCountsResponse | null;
}

const countsOf = (c: CaseCounts | null): CaseCountsResponse | null =>
  c && { n_train: c.nTrain, n_test: c.nTest };

/**
 * @example mapSite(site)
 * // { id, name, status: 'active', created_at: '2026-…Z', revoked_at: null,
 * //   approved_cases: { n_train: 260, n_test: 64 }, claimed_cases: null }
 */
export function mapSite(site: Site): SiteResponse {
  return {
    id: site.id,
    name: site.name,
    status: site.status,
    created_at: site.createdAt.toISOString(),
    revoked_at: site.revokedAt?.toISOString() ?? null,
    approved_cases: countsOf(site.approvedCases),
    claimed_cases: countsOf(site.claimedCases),
  };
}

/** The only response that carries the enrolment token: the one that created it. */
export function mapEnrolledSite(e: EnrolledSite): SiteResponse & { enrolment_token: string } {
  return { ...mapSite(e.site), enrolment_token: e.enrolmentToken };
}
