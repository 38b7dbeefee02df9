import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A site's case counts (issue 13): the ones the lead approved, which bound its FedAvg weight and fix
 * its evaluation size, and the ones it last claimed in `hello`, kept apart so that a claim is never
 * taken for an approval. Each pair is both set or both null.
 */
export class ApprovedCases1764310000000 implements MigrationInterface {
  name = 'ApprovedCases1764310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sites
        ADD COLUMN approved_n_train int CHECK (approved_n_train >= 0),
        ADD COLUMN approved_n_test int CHECK (approved_n_test >= 0),
        ADD COLUMN claimed_n_train int CHECK (claimed_n_train >= 0),
        ADD COLUMN claimed_n_test int CHECK (claimed_n_test >= 0),
        ADD CONSTRAINT sites_approved_pair CHECK ((approved_n_train IS NULL) = (approved_n_test IS NULL)),
        ADD CONSTRAINT sites_claimed_pair CHECK ((claimed_n_train IS NULL) = (claimed_n_test IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE sites
        DROP CONSTRAINT sites_claimed_pair,
        DROP CONSTRAINT sites_approved_pair,
        DROP COLUMN claimed_n_test,
        DROP COLUMN claimed_n_train,
        DROP COLUMN approved_n_test,
        DROP COLUMN approved_n_train`);
  }
}
