import { randomUUID } from 'node:crypto';
import { formatEnrolmentToken } from '../auth/token-format';
import { hashSecret, newSecret } from '../auth/secret-hash';
import { DomainError } from '../domain/domain-error';
import type { CaseCounts, Site } from '../domain/records';
import type { Transactions } from '../domain/transactions';
import type { LiveSiteSessions } from './live-site-sessions';
import type { SiteRepository } from './site.repository';

export interface EnrolledSite {
  readonly site: Site;
  /** Shown once to the lead to hand to the hospital; only its hash is stored. */
  readonly enrolmentToken: string;
}

/**
 * Enrolment of partner hospitals. A plain class (no Nest decorators) so the CLI and the medium tests
 * use it without Nest; `SitesModule` wires it with a factory provider.
 */
export class SitesService {
  constructor(
    private readonly sites: SiteRepository,
    private readonly transactions: Transactions,
    private readonly sessions: LiveSiteSessions,
  ) {}

  /**
   * Enrols a site, with the case counts the lead approves for it (or none yet: then its first
   * upload is refused until the lead approves the counts it claims).
   *
   * @example
   * const { site, enrolmentToken } = await sites.enrol('Hospital A', 'admin', { nTrain: 260, nTest: 64 });
   */
  async enrol(name: string, actor: string, approved: CaseCounts | null = null): Promise<EnrolledSite> {
    const tokenId = randomUUID();
    const secret = newSecret();
    const token = await hashSecret(secret);
    const site = await this.transactions.run(async (tx) => {
      const site = await tx.sites.create(name, tokenId, token, approved);
      await tx.audit.append({
        actor,
        action: 'site.enrolled',
        subjectType: 'site',
        subjectId: site.id,
        details: approved ? { name, approved_cases: casesDetail(approved) } : { name },
      });
      return site;
    });
    return { site, enrolmentToken: formatEnrolmentToken(tokenId, secret) };
  }

  list(): Promise<Site[]> {
    return this.sites.list();
  }

  async get(id: string): Promise<Site> {
    const site = await this.sites.findById(id);
    if (!site) throw new DomainError('SITE_NOT_FOUND', `no site with id ${id}`);
    return site;
  }

  /**
   * Approves (or changes) a site's case counts: its FedAvg weight may not exceed `nTrain` and its
   * evaluation reports must cover `nTest` cases. Audit-logged with what was approved before and what
   * the site claims.
   *
   * @example await sites.approveCases(siteId, { nTrain: 260, nTest: 64 }, 'admin');
   */
  async approveCases(id: string, approved: CaseCounts, actor: string): Promise<Site> {
    return this.transactions.run(async (tx) => {
      const before = await tx.sites.findById(id);
      const site = before && (await tx.sites.approveCases(id, approved));
      if (!before || !site) throw new DomainError('SITE_NOT_FOUND', `no site with id ${id}`);
      await tx.audit.append({
        actor,
        action: 'site.cases_approved',
        subjectType: 'site',
        subjectId: id,
        details: {
          approved_cases: casesDetail(approved),
          previous: before.approvedCases && casesDetail(before.approvedCases),
          claimed: before.claimedCases && casesDetail(before.claimedCases),
        },
      });
      return site;
    });
  }

  /**
   * Revokes the site and its tokens, then ends its live sessions (their open sockets are closed and
   * any later request refused); revoking twice is a no-op that keeps the first time.
   */
  async revoke(id: string, actor: string): Promise<Site> {
    const site = await this.transactions.run(async (tx) => {
      const site = await tx.sites.revoke(id, new Date());
      if (!site) throw new DomainError('SITE_NOT_FOUND', `no site with id ${id}`);
      await tx.audit.append({
        actor,
        action: 'site.revoked',
        subjectType: 'site',
        subjectId: id,
        details: {},
      });
      return site;
    });
    this.sessions.end(id);
    return site;
  }
}

/** Counts as the audit log and the REST API spell them. */
export function casesDetail(c: CaseCounts): { n_train: number; n_test: number } {
  return { n_train: c.nTrain, n_test: c.nTest };
}
