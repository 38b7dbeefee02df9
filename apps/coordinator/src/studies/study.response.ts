import type { Study } from '../domain/records';
import type { StudySpec } from '../domain/study-spec';
import type { AwaitingLead } from './studies.service';

export interface StudyResponse {
  id: string;
  name: string;
  status: string;
  current_round: number;
  spec: StudySpec;
  created_at: string;
  updated_at: string;
  /** Set when the study is paused for its lead to decide (no quorum, or screening kept too few updates). */
  awaiting_lead?: { round: number; reason: string; since: string } | null;
}

/** @example mapStudy(study) // { id, name, status: 'draft', current_round: 0, spec: {…}, … } */
export function mapStudy(study: Study, awaiting?: AwaitingLead | null): StudyResponse {
  return {
    ...(awaiting === undefined
      ? {}
      : {
          awaiting_lead: awaiting && {
            round: awaiting.round,
            reason: awaiting.reason,
            since: awaiting.since.toISOString(),
          },
        }),
    id: study.id,
    name: study.name,
    status: study.status,
    current_round: study.currentRound,
    spec: study.spec,
    created_at: study.createdAt.toISOString(),
    updated_at: study.updatedAt.toISOString(),
  };
}
