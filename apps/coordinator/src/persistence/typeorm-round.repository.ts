import type { Db } from './db';
import type { Round } from '../domain/records';
import { RoundRepository, type NewRound, type RoundChange } from '../rounds/round.repository';
import { RoundEntity } from './entities/round.entity';
import { roundFromEntity } from './mappers/round.mapper';

export class TypeOrmRoundRepository extends RoundRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  private get repo() {
    return this.ds.getRepository(RoundEntity);
  }

  async create(round: NewRound): Promise<Round> {
    const saved = await this.repo.save(
      this.repo.create({ ...round, endedAt: null, failureReason: null, updatedAt: new Date() }),
    );
    return roundFromEntity(await this.repo.findOneByOrFail({ id: saved.id }));
  }

  async find(studyId: string, number: number): Promise<Round | null> {
    const row = await this.repo.findOneBy({ studyId, number });
    return row ? roundFromEntity(row) : null;
  }

  async list(studyId: string): Promise<Round[]> {
    return (await this.repo.find({ where: { studyId }, order: { number: 'ASC' } })).map(roundFromEntity);
  }

  async update(id: string, change: RoundChange): Promise<Round> {
    await this.repo.update({ id }, { ...change, updatedAt: new Date() });
    return roundFromEntity(await this.repo.findOneByOrFail({ id }));
  }

  async countByState(): Promise<ReadonlyMap<string, number>> {
    const rows: { state: string; n: unknown }[] = await this.ds.query(
      'SELECT state, count(*) AS n FROM rounds GROUP BY state',
    );
    return new Map(rows.map((r) => [r.state, Number(r.n)]));
  }
}
