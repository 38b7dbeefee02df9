import type { Study } from '../../domain/records';
import { STUDY_STATUSES } from '../../domain/study-lifecycle';
import type { StudySpec } from '../../domain/study-spec';
import type { StudyEntity } from '../entities/study.entity';
import { oneOf, toDate } from './column';

export function studyFromEntity(e: StudyEntity): Study {
  // The spec was validated before it was stored; the column holds exactly a StudySpec.
  const spec = e.spec as StudySpec;
  return {
    id: e.id,
    name: e.name,
    spec,
    status: oneOf(STUDY_STATUSES, e.status, 'studies.status'),
    currentRound: e.currentRound,
    createdAt: toDate(e.createdAt),
    updatedAt: toDate(e.updatedAt),
  };
}
