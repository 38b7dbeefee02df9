import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log';
import { formatEnrolmentToken } from '../auth/enrolment-token';
import { hashSecret, newSecret } from '../auth/secret-hash';
import { DomainError } from '../domain/domain-error';
import type { Site } from '../domain/records';
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
    private readonly audit: AuditLog,
    private readonly sessions: LiveSiteSessions,
  ) {}

  /**
   * @example
   * const { site, enrolmentToken } = await sites.enrol('Hospital A', 'admin');
   */
  async enrol(name: string, actor: string): Promise<EnrolledSite> {
    const tokenId = randomUUID();
    const secret = newSecret();
    const site = await this.sites.create(name, tokenId, await hashSecret(secret));
    await this.audit.append({
      actor,
      action: 'site.enrolled',
      subjectType: 'site',
      subjectId: site.id,
      details: { name },
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
   * Revokes the site and its tokens, then ends its live sessions (their open sockets are closed and
   * any later request refused); revoking twice is a no-op that keeps the first time.
   */
  async revoke(id: string, actor: string): Promise<Site> {
    const site = await this.sites.revoke(id, new Date());
    if (!site) throw new DomainError('SITE_NOT_FOUND', `no site with id ${id}`);
    await this.audit.append({
      actor,
      action: 'site.revoked',
      subjectType: 'site',
      subjectId: id,
      details: {},
    });
    this.sessions.end(id);
    return site;
  }
}
