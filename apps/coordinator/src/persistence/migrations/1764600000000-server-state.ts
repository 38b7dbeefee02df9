import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FedAdam (issue 15): each global model version of a FedAdam study records the blob of the server
 * optimizer's moments after it, so a coordinator restarted mid-study continues from them. Null for
 * every other version (and every version made before this migration).
 */
export class ServerState1764600000000 implements MigrationInterface {
  name = 'ServerState1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE global_models ADD COLUMN server_state_sha256 text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE global_models DROP COLUMN server_state_sha256`);
  }
}
