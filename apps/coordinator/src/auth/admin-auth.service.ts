import type { AuditLog } from '../audit/audit-log';
import type { SecretHash } from '../domain/records';
import type { AdminTokenRepository } from './admin-token.repository';
import { hashSecret, newSecret, verifySecret } from './secret-hash';

/**
 * The lead's bearer token. Fixed by `FEDALN_ADMIN_TOKEN`, or generated on first start, shown once
 * and stored only as a salted scrypt hash; either way only its hash is kept in memory.
 */
export class AdminAuthService {
  private hash: SecretHash | null = null;

  constructor(
    private readonly tokens: AdminTokenRepository,
    private readonly configuredToken: string | undefined,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Loads (or creates) the token hash. Returns the new token when one was generated, so the caller
   * can print it this once; otherwise null.
   *
   * @example
   * const fresh = await adminAuth.initialise();
   * if (fresh) console.log(`admin token: ${fresh}`);
   */
  async initialise(): Promise<string | null> {
    if (this.configuredToken !== undefined) {
      this.hash = await hashSecret(this.configuredToken);
      return null;
    }
    this.hash = await this.tokens.current();
    if (this.hash) return null;
    const token = newSecret();
    this.hash = await hashSecret(token);
    await this.tokens.store(this.hash);
    await this.audit.append({
      actor: 'system',
      action: 'admin.token_generated',
      subjectType: 'admin',
      subjectId: 'admin',
      details: {},
    });
    return token;
  }

  /** Constant-time check of a presented bearer token. */
  async verify(token: string): Promise<boolean> {
    if (!this.hash) throw new Error('AdminAuthService.initialise() was not awaited at start-up');
    return verifySecret(token, this.hash);
  }
}
