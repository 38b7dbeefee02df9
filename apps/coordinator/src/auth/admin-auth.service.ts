import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log';
import type { SecretHash } from '../domain/records';
import type { AdminTokenRepository } from './admin-token.repository';
import { hashSecret, newSecret, verifySecret } from './secret-hash';
import { formatAdminToken, parseBearerToken } from './token-format';

/**
 * The lead's bearer token. Either fixed by `FEDALN_ADMIN_TOKEN` — compared by SHA-256 digest in
 * constant time, no scrypt: the plaintext is in the environment anyway, so a slow hash of it
 * protects nothing — or generated on first start as `fa_admin_<secret>`, shown once and stored only
 * as a salted scrypt hash of the secret; then a presented token costs one scrypt only when it has
 * the admin token's shape (token-format.ts), none otherwise.
 */
export class AdminAuthService {
  private hash: SecretHash | null = null;
  private readonly configuredDigest: Buffer | null;

  constructor(
    private readonly tokens: AdminTokenRepository,
    configuredToken: string | undefined,
    private readonly audit: AuditLog,
  ) {
    this.configuredDigest = configuredToken === undefined ? null : digest(configuredToken);
  }

  /**
   * Loads (or creates) the token hash. Returns the new token when one was generated, so the caller
   * can print it this once; otherwise null.
   *
   * @example
   * const fresh = await adminAuth.initialise();
   * if (fresh) console.log(`admin token: ${fresh}`); // fa_admin_…
   */
  async initialise(): Promise<string | null> {
    if (this.configuredDigest) return null;
    this.hash = await this.tokens.current();
    if (this.hash) return null;
    const secret = newSecret();
    this.hash = await hashSecret(secret);
    await this.tokens.store(this.hash);
    await this.audit.append({
      actor: 'system',
      action: 'admin.token_generated',
      subjectType: 'admin',
      subjectId: 'admin',
      details: {},
    });
    return formatAdminToken(secret);
  }

  /** Constant-time check of a presented bearer token; at most one scrypt, none for other shapes. */
  async verify(token: string): Promise<boolean> {
    if (this.configuredDigest) return timingSafeEqual(digest(token), this.configuredDigest);
    if (!this.hash) throw new Error('AdminAuthService.initialise() was not awaited at start-up');
    const parsed = parseBearerToken(token);
    return parsed?.kind === 'admin' ? verifySecret(parsed.secret, this.hash) : false;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
