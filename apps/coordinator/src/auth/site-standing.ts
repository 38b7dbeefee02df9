import { DomainError } from '../domain/domain-error';
import type { SiteRepository } from '../sites/site.repository';

/**
 * How long a session may act on its last look at the site's row: revocation by another process
 * (the CLI on a shared PostgreSQL) reaches open sessions within this; revocation through this
 * coordinator's REST API reaches them at once ({@link SiteStanding.revoked}).
 */
export const STANDING_RECHECK_MS = 1000;

/**
 * Whether a connected site may still act. The handshake checks the token once; a live session
 * asks here before each request: a site revoked in this process is refused at once (an in-memory
 * set, filled by {@link revoked}), and the site's row is re-read at most once per
 * {@link STANDING_RECHECK_MS} per session, so a revocation made elsewhere is found too, while a
 * flood of requests costs one lookup a second. Sites are never un-revoked (a hospital enrols anew),
 * so the set only grows with revocations.
 *
 * @example
 * await standing.check(socket, siteId); // throws DomainError SITE_REVOKED once the lead revoked it
 */
export class SiteStanding {
  private readonly revokedSites = new Set<string>();
  private readonly lastLook = new WeakMap<
    object,
    { readonly at: number; readonly active: Promise<boolean> }
  >();

  constructor(
    private readonly sites: SiteRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lead revoked `siteId` (already persisted): refuse its sessions from now on. */
  revoked(siteId: string): void {
    this.revokedSites.add(siteId);
  }

  isRevoked(siteId: string): boolean {
    return this.revokedSites.has(siteId);
  }

  /** Throws SITE_REVOKED unless `siteId`, acting on `session`, is still an active site. */
  async check(session: object, siteId: string): Promise<void> {
    if (!this.revokedSites.has(siteId)) {
      const t = this.now();
      let look = this.lastLook.get(session);
      if (!look || t - look.at >= STANDING_RECHECK_MS) {
        look = { at: t, active: this.sites.findById(siteId).then((s) => s?.status === 'active') };
        this.lastLook.set(session, look);
      }
      if (await look.active) return;
      this.revokedSites.add(siteId);
    }
    throw new DomainError(
      'SITE_REVOKED',
      `site ${siteId} has been revoked by the lead: this session is closed and its requests are refused; ask the lead to enrol the hospital again for a new enrolment token`,
    );
  }
}
