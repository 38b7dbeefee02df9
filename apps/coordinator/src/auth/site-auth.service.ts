import type { SiteRepository } from '../sites/site.repository';
import { parseEnrolmentToken } from './enrolment-token';
import { verifySecret } from './secret-hash';

/** Checks a site's enrolment token; revoked sites and tokens fail. */
export class SiteAuthService {
  constructor(private readonly sites: SiteRepository) {}

  /**
   * The site id the token belongs to, or null.
   *
   * @example
   * const siteId = await siteAuth.authenticate(handshake.auth.token);
   */
  async authenticate(token: string): Promise<string | null> {
    const parsed = parseEnrolmentToken(token);
    if (!parsed) return null;
    const stored = await this.sites.findToken(parsed.tokenId);
    if (!stored || !(await verifySecret(parsed.secret, stored.secret))) return null;
    const site = await this.sites.findById(stored.siteId);
    return site?.status === 'active' ? site.id : null;
  }
}
