import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secure aggregation (issue 16): a failed round keeps why it failed (too few survivors to unmask,
 * a sum past the clip bound, …), shown in the rounds API. Null for every other round (and every
 * round failed before this migration).
 */
export class RoundFailureReason1764700000000 implements MigrationInterface {
  name = 'RoundFailureReason1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rounds ADD COLUMN failure_reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rounds DROP COLUMN failure_reason`);
  }
}
