import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Release verdicts (one per completed round, recomputed only if a late report changes it) and
 * releases. A release is immutable (DESIGN.md "Evaluation and release"): like the audit log, a
 * trigger refuses UPDATE, DELETE and TRUNCATE, so no code path or psql session can rewrite one.
 */
export class Releases1764230000000 implements MigrationInterface {
  name = 'Releases1764230000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE release_verdicts (
        study_id uuid NOT NULL REFERENCES studies(id),
        round_number int NOT NULL,
        pass boolean NOT NULL,
        verdict jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (study_id, round_number)
      )`);
    await q.query(`
      CREATE TABLE releases (
        version int PRIMARY KEY CHECK (version >= 1),
        study_id uuid NOT NULL REFERENCES studies(id),
        round_number int NOT NULL,
        weights_sha256 text NOT NULL,
        record jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (study_id, round_number)
      )`);
    await q.query(`
      CREATE FUNCTION releases_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'releases are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER releases_no_update_delete BEFORE UPDATE OR DELETE ON releases
      FOR EACH ROW EXECUTE FUNCTION releases_immutable()`);
    await q.query(`
      CREATE TRIGGER releases_no_truncate BEFORE TRUNCATE ON releases
      FOR EACH STATEMENT EXECUTE FUNCTION releases_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE releases`);
    await q.query(`DROP TABLE release_verdicts`);
    await q.query(`DROP FUNCTION releases_immutable()`);
  }
}
