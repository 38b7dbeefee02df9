import type { GlobalModel } from '../domain/records';

export abstract class GlobalModelRepository {
  abstract add(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel>;
  abstract find(studyId: string, version: number): Promise<GlobalModel | null>;
}
