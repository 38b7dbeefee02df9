import type { SiteRepository } from '../sites/site.repository';
import { verifySecret } from './secret-hash';
import { parseBearerToken } from './token-format';

/**
 * Checks a site's enrolment token; revoked sites and tokens fail. The token's public id finds its
 * one row, so a token costs at most one scrypt, and one of another shape or an unknown id none.
 */
export class SiteAuthService {
  constructor(private readonly sites: SiteRepository) {}

  /**
   * The site id the token belongs to, or null.
   *
   * @example
   * const siteId = await siteAuth.authenticate(handshake.auth.token);
   */
  async authenticate(token: string): Promise<string | null> {
    const parsed = parseBearerToken(token);
    if (parsed?.kind !== 'site') return null;
    const stored = await this.sites.findToken(parsed.tokenId);
    if (!stored || !(await verifySecret(parsed.secret, stored.secret))) return null;
    const site = await this.sites.findById(stored.siteId);
    return site?.status === 'active' ? site.id : null;
  }
}
