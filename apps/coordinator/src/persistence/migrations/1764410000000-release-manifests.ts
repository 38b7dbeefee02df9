import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed release manifests (issue 14): each release's manifest is kept in its record (jsonb); its
 * sha256 and the link to the study's previous signed release are columns, so the chain is queried
 * without parsing records and the database keeps it linear — within a study, no two signed releases
 * name the same predecessor (nor are both the first). Releases made before this migration keep null
 * in both columns: they are outside the chain. Adding nullable columns rewrites no row, so the
 * releases' immutability triggers (Releases1764230000000) are untouched.
 */
export class ReleaseManifests1764410000000 implements MigrationInterface {
  name = 'ReleaseManifests1764410000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE releases
        ADD COLUMN manifest_sha256 text UNIQUE CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
        ADD COLUMN previous_manifest_sha256 text CHECK (previous_manifest_sha256 ~ '^[0-9a-f]{64}$'),
        ADD CONSTRAINT releases_link_needs_manifest
          CHECK (previous_manifest_sha256 IS NULL OR manifest_sha256 IS NOT NULL)`);
    await q.query(`
      CREATE UNIQUE INDEX releases_manifest_chain ON releases (study_id, (COALESCE(previous_manifest_sha256, '')))
      WHERE manifest_sha256 IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX releases_manifest_chain`);
    await q.query(`
      ALTER TABLE releases
        DROP CONSTRAINT releases_link_needs_manifest,
        DROP COLUMN previous_manifest_sha256,
        DROP COLUMN manifest_sha256`);
  }
}
