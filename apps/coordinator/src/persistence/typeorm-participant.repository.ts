import type { Db } from './db';
import type { Participant, UpdateScreening } from '../domain/records';
import { ParticipantRepository, type AcceptedUpdate } from '../rounds/participant.repository';
import { RoundParticipantEntity } from './entities/round-participant.entity';
import { participantFromEntity } from './mappers/participant.mapper';

export class TypeOrmParticipantRepository extends ParticipantRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  private get repo() {
    return this.ds.getRepository(RoundParticipantEntity);
  }

  async assign(studyId: string, roundNumber: number, siteIds: readonly string[]): Promise<void> {
    if (siteIds.length === 0) return;
    await this.ds.query(
      `INSERT INTO round_participants (study_id, round_number, site_id, state)
       SELECT $1, $2, unnest($3::uuid[]), 'assigned'
       ON CONFLICT (study_id, round_number, site_id) DO NOTHING`,
      [studyId, roundNumber, siteIds],
    );
  }

  async recordUpload(
    studyId: string,
    roundNumber: number,
    siteId: string,
    u: AcceptedUpdate,
  ): Promise<Participant> {
    // The (study, round, site) key makes a repeated upload an update of the same row.
    await this.ds.query(
      `INSERT INTO round_participants (study_id, round_number, site_id, state, n_train, update_sha256, update_bytes)
       VALUES ($1, $2, $3, 'uploaded', $4, $5, $6)
       ON CONFLICT (study_id, round_number, site_id) DO UPDATE SET
         state = 'uploaded', reason = NULL, n_train = excluded.n_train,
         update_sha256 = excluded.update_sha256, update_bytes = excluded.update_bytes, updated_at = now()`,
      [studyId, roundNumber, siteId, u.nTrain, u.sha256, u.bytes],
    );
    return participantFromEntity(await this.repo.findOneByOrFail({ studyId, roundNumber, siteId }));
  }

  async markStragglers(studyId: string, roundNumber: number): Promise<string[]> {
    const rows: { site_id: string }[] = await this.ds.query(
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE, plain rows for a SELECT.
      `WITH u AS (
         UPDATE round_participants SET state = 'straggler', reason = 'no update by the round deadline', updated_at = now()
         WHERE study_id = $1 AND round_number = $2 AND state = 'assigned' RETURNING site_id)
       SELECT site_id FROM u`,
      [studyId, roundNumber],
    );
    return rows.map((r) => r.site_id).sort();
  }

  async list(studyId: string, roundNumber: number): Promise<Participant[]> {
    const rows = await this.repo.find({ where: { studyId, roundNumber }, order: { siteId: 'ASC' } });
    return rows.map(participantFromEntity);
  }

  async reopen(studyId: string, roundNumber: number): Promise<void> {
    await this.ds.query(`DELETE FROM round_participants WHERE study_id = $1 AND round_number = $2`, [
      studyId,
      roundNumber,
    ]);
  }

  async recordScreening(
    studyId: string,
    roundNumber: number,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<void> {
    for (const [siteId, s] of screening) {
      await this.ds.query(
        `UPDATE round_participants SET screening = $4::jsonb, updated_at = now()
         WHERE study_id = $1 AND round_number = $2 AND site_id = $3`,
        [studyId, roundNumber, siteId, JSON.stringify(s)],
      );
    }
  }
}
