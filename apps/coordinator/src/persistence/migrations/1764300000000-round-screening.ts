import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What update screening decided for each participant's update (issue 13): a verdict with its numbers. */
export class RoundScreening1764300000000 implements MigrationInterface {
  name = 'RoundScreening1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE round_participants ADD COLUMN screening jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE round_participants DROP COLUMN screening`);
  }
}
