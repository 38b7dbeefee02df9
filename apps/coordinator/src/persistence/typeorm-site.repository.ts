import type { Db } from './db';
import type { CaseCounts, SecretHash, Site } from '../domain/records';
import { SiteRepository } from '../sites/site.repository';
import { EnrolmentTokenEntity } from './entities/enrolment-token.entity';
import { SiteEntity } from './entities/site.entity';
import { siteFromRow } from './mappers/site.mapper';

export class TypeOrmSiteRepository extends SiteRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  async create(name: string, tokenId: string, token: SecretHash, approved: CaseCounts | null): Promise<Site> {
    // One statement, so site and token are atomic without a transaction (PGlite has one connection).
    const rows: Record<string, unknown>[] = await this.ds.query(
      `WITH s AS (INSERT INTO sites (name, status, approved_n_train, approved_n_test)
                  VALUES ($1, 'active', $5, $6) RETURNING *),
            t AS (INSERT INTO enrolment_tokens (id, site_id, salt, hash) SELECT $2, s.id, $3, $4 FROM s)
       SELECT * FROM s`,
      [name, tokenId, token.salt, token.hash, approved?.nTrain ?? null, approved?.nTest ?? null],
    );
    const row = rows[0];
    if (!row) throw new Error('site insert returned no row');
    return siteFromRow(row);
  }

  async list(): Promise<Site[]> {
    const rows = await this.ds.getRepository(SiteEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(siteFromRow);
  }

  async findById(id: string): Promise<Site | null> {
    const row = await this.ds.getRepository(SiteEntity).findOneBy({ id });
    return row ? siteFromRow(row) : null;
  }

  async revoke(id: string, at: Date): Promise<Site | null> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `WITH s AS (UPDATE sites SET status = 'revoked', revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING *),
            t AS (UPDATE enrolment_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE site_id = $1)
       SELECT * FROM s`,
      [id, at],
    );
    return rows[0] ? siteFromRow(rows[0]) : null;
  }

  async approveCases(id: string, approved: CaseCounts): Promise<Site | null> {
    // A CTE, so the driver answers rows (a bare UPDATE answers [rows, count]).
    const rows: Record<string, unknown>[] = await this.ds.query(
      `WITH s AS (UPDATE sites SET approved_n_train = $2, approved_n_test = $3 WHERE id = $1 RETURNING *)
       SELECT * FROM s`,
      [id, approved.nTrain, approved.nTest],
    );
    return rows[0] ? siteFromRow(rows[0]) : null;
  }

  async recordClaimedCases(id: string, claimed: CaseCounts): Promise<void> {
    await this.ds
      .getRepository(SiteEntity)
      .update({ id }, { claimedNTrain: claimed.nTrain, claimedNTest: claimed.nTest });
  }

  async findToken(tokenId: string): Promise<{ siteId: string; secret: SecretHash } | null> {
    const row = await this.ds
      .getRepository(EnrolmentTokenEntity)
      .createQueryBuilder('t')
      .where('t.id = :tokenId AND t.revokedAt IS NULL', { tokenId })
      .getOne();
    return row ? { siteId: row.siteId, secret: { salt: row.salt, hash: row.hash } } : null;
  }
}
