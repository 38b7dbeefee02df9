import type { Db } from './db';
import type { GlobalModel } from '../domain/records';
import { GlobalModelRepository } from '../models/global-model.repository';
import { GlobalModelEntity } from './entities/global-model.entity';
import { globalModelFromEntity } from './mappers/global-model.mapper';

export class TypeOrmGlobalModelRepository extends GlobalModelRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  private get repo() {
    return this.ds.getRepository(GlobalModelEntity);
  }

  async add(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    await this.repo.insert({ ...model, bytes: String(model.bytes), createdAt: new Date() });
    return globalModelFromEntity(
      await this.repo.findOneByOrFail({ studyId: model.studyId, version: model.version }),
    );
  }

  async find(studyId: string, version: number): Promise<GlobalModel | null> {
    const row = await this.repo.findOneBy({ studyId, version });
    return row ? globalModelFromEntity(row) : null;
  }
}
