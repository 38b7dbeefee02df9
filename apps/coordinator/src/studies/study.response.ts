import type { Study } from '../domain/records';
import type { StudySpec } from '../domain/study-spec';

export interface StudyResponse {
  id: string;
  name: string;
  status: string;
  current_round: number;
  spec: StudySpec;
  created_at: string;
  updated_at: string;
}

/** @example mapStudy(study) // { id, name, status: 'draft', current_round: 0, spec: {…}, … } */
export function mapStudy(study: Study): StudyResponse {
  return {
    id: study.id,
    name: study.name,
    status: study.status,
    current_round: study.currentRound,
    spec: study.spec,
    created_at: study.createdAt.toISOString(),
    updated_at: study.updatedAt.toISOString(),
  };
}
