import type { DataSource } from 'typeorm';
import { AdminTokenRepository } from '../auth/admin-token.repository';
import type { SecretHash } from '../domain/records';
import { AdminTokenEntity } from './entities/admin-token.entity';

export class TypeOrmAdminTokenRepository extends AdminTokenRepository {
  constructor(private readonly ds: DataSource) {
    super();
  }

  async current(): Promise<SecretHash | null> {
    const row = await this.ds.getRepository(AdminTokenEntity).findOneBy({ id: 1 });
    return row ? { salt: row.salt, hash: row.hash } : null;
  }

  async store(secret: SecretHash): Promise<void> {
    await this.ds.query(
      `INSERT INTO admin_tokens (id, salt, hash) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, created_at = now()`,
      [secret.salt, secret.hash],
    );
  }
}
