import type { Study } from '../domain/records';
import type { StudyStatus } from '../domain/study-lifecycle';
import type { StudySpec } from '../domain/study-spec';

export abstract class StudyRepository {
  abstract create(spec: StudySpec): Promise<Study>;
  abstract list(): Promise<Study[]>;
  abstract findById(id: string): Promise<Study | null>;
  abstract update(id: string, change: { status?: StudyStatus; currentRound?: number }): Promise<Study>;
}
