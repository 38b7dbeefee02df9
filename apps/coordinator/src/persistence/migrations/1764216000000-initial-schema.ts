import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema. Hand-written (DESIGN.md "Persistence": migrations, not `synchronize`). */
export class InitialSchema1764216000000 implements MigrationInterface {
  name = 'InitialSchema1764216000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'revoked')),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE enrolment_tokens (
        id uuid PRIMARY KEY,
        site_id uuid NOT NULL REFERENCES sites(id),
        salt text NOT NULL,
        hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX enrolment_tokens_site ON enrolment_tokens(site_id)`);
    await q.query(`
      CREATE TABLE admin_tokens (
        id int PRIMARY KEY CHECK (id = 1),
        salt text NOT NULL,
        hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE studies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        spec jsonb NOT NULL,
        status text NOT NULL,
        current_round int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE rounds (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        study_id uuid NOT NULL REFERENCES studies(id),
        number int NOT NULL CHECK (number >= 1),
        state text NOT NULL,
        attempt int NOT NULL DEFAULT 1,
        deadline timestamptz,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (study_id, number)
      )`);
    await q.query(`
      CREATE TABLE round_participants (
        study_id uuid NOT NULL,
        round_number int NOT NULL,
        site_id uuid NOT NULL REFERENCES sites(id),
        state text NOT NULL CHECK (state IN ('assigned', 'uploaded', 'straggler', 'rejected')),
        reason text,
        n_train int CHECK (n_train >= 0),
        update_sha256 text,
        update_bytes bigint,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (study_id, round_number, site_id),
        FOREIGN KEY (study_id, round_number) REFERENCES rounds(study_id, number)
      )`);
    await q.query(`
      CREATE TABLE global_models (
        study_id uuid NOT NULL REFERENCES studies(id),
        version int NOT NULL CHECK (version >= 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        bytes bigint NOT NULL,
        round_number int,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (study_id, version)
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_log_subject ON audit_log(subject_type, subject_id)`);
    // Append-only in the database itself, so no code path (or psql session) can rewrite history.
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'audit_log',
      'global_models',
      'round_participants',
      'rounds',
      'studies',
      'admin_tokens',
      'enrolment_tokens',
      'sites',
    ]) {
      await q.query(`DROP TABLE ${t}`);
    }
    await q.query(`DROP FUNCTION audit_log_append_only()`);
  }
}
