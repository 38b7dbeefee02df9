import type { CaseCounts, SecretHash, Site } from '../domain/records';

/** Port for sites and their enrolment tokens; the abstract class is its own DI token. */
export abstract class SiteRepository {
  /**
   * Creates the site and its enrolment token (`tokenId` + hash) atomically, with the case counts the
   * lead approved at enrolment (null: none yet).
   */
  abstract create(
    name: string,
    tokenId: string,
    token: SecretHash,
    approved: CaseCounts | null,
  ): Promise<Site>;
  abstract list(): Promise<Site[]>;
  abstract findById(id: string): Promise<Site | null>;
  abstract revoke(id: string, at: Date): Promise<Site | null>;
  /** Sets the approved counts; null when no such site. */
  abstract approveCases(id: string, approved: CaseCounts): Promise<Site | null>;
  /** Records the counts a site claims in `hello` (kept apart from the approved ones). */
  abstract recordClaimedCases(id: string, claimed: CaseCounts): Promise<void>;
  /** The enrolment token by id, with its site, or null when unknown or revoked. */
  abstract findToken(
    tokenId: string,
  ): Promise<{ readonly siteId: string; readonly secret: SecretHash } | null>;
}
