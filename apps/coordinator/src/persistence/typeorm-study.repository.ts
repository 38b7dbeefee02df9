import type { Db } from './db';
import type { Study } from '../domain/records';
import type { StudyStatus } from '../domain/study-lifecycle';
import type { StudySpec } from '../domain/study-spec';
import { StudyRepository } from '../studies/study.repository';
import { StudyEntity } from './entities/study.entity';
import { studyFromEntity } from './mappers/study.mapper';

export class TypeOrmStudyRepository extends StudyRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  private get repo() {
    return this.ds.getRepository(StudyEntity);
  }

  async create(spec: StudySpec): Promise<Study> {
    const now = new Date();
    const saved = await this.repo.save(
      this.repo.create({
        name: spec.name,
        spec,
        status: 'draft',
        currentRound: 0,
        createdAt: now,
        updatedAt: now,
      }),
    );
    const row = await this.repo.findOneByOrFail({ id: saved.id });
    return studyFromEntity(row);
  }

  async list(): Promise<Study[]> {
    return (await this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' } })).map(studyFromEntity);
  }

  async findById(id: string): Promise<Study | null> {
    const row = await this.repo.findOneBy({ id });
    return row ? studyFromEntity(row) : null;
  }

  async update(id: string, change: { status?: StudyStatus; currentRound?: number }): Promise<Study> {
    await this.repo.update({ id }, { ...change, updatedAt: new Date() });
    return studyFromEntity(await this.repo.findOneByOrFail({ id }));
  }
}
