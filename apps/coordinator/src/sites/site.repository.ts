import type { SecretHash, Site } from '../domain/records';

/** Port for sites and their enrolment tokens; the abstract class is its own DI token. */
export abstract class SiteRepository {
  /** Creates the site and its enrolment token (`tokenId` + hash) atomically. */
  abstract create(name: string, tokenId: string, token: SecretHash): Promise<Site>;
  abstract list(): Promise<Site[]>;
  abstract findById(id: string): Promise<Site | null>;
  abstract revoke(id: string, at: Date): Promise<Site | null>;
  /** The enrolment token by id, with its site, or null when unknown or revoked. */
  abstract findToken(
    tokenId: string,
  ): Promise<{ readonly siteId: string; readonly secret: SecretHash } | null>;
}
