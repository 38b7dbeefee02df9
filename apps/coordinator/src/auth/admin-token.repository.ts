import type { SecretHash } from '../domain/records';

/** Port for the lead's admin token hash (one row; generated on first start). */
export abstract class AdminTokenRepository {
  abstract current(): Promise<SecretHash | null>;
  abstract store(secret: SecretHash): Promise<void>;
}
