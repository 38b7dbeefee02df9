import { SCREENING_VERDICT_KINDS } from '@fedaln/aggregation';
import { PARTICIPANT_STATES, type Participant, type UpdateScreening } from '../../domain/records';
import type { RoundParticipantEntity } from '../entities/round-participant.entity';
import { oneOf, toNumberOrNull } from './column';

export function participantFromEntity(e: RoundParticipantEntity): Participant {
  return {
    studyId: e.studyId,
    roundNumber: e.roundNumber,
    siteId: e.siteId,
    state: oneOf(PARTICIPANT_STATES, e.state, 'round_participants.state'),
    reason: e.reason,
    nTrain: e.nTrain,
    updateSha256: e.updateSha256,
    updateBytes: toNumberOrNull(e.updateBytes),
    screening: screeningFromColumn(e.screening),
  };
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** The stored screening JSON, its verdict checked (a corrupt row fails loudly, as enum columns do). */
export function screeningFromColumn(v: unknown): UpdateScreening | null {
  if (v === null || v === undefined) return null;
  const s = v as Record<string, unknown>;
  const worst = s.worstTensor as Record<string, unknown> | null | undefined;
  return {
    verdict: oneOf(SCREENING_VERDICT_KINDS, s.verdict, 'round_participants.screening.verdict'),
    reason: typeof s.reason === 'string' ? s.reason : '',
    norm: numberOrNull(s.norm),
    normZ: numberOrNull(s.normZ),
    cosine: numberOrNull(s.cosine),
    cosineZ: numberOrNull(s.cosineZ),
    clipBound: numberOrNull(s.clipBound),
    scale: numberOrNull(s.scale) ?? 1,
    weight: numberOrNull(s.weight) ?? 1,
    worstTensor:
      worst && typeof worst.name === 'string'
        ? {
            name: worst.name,
            norm: numberOrNull(worst.norm) ?? 0,
            ratioToMedian: numberOrNull(worst.ratioToMedian),
          }
        : null,
    trainedNorm: numberOrNull(s.trainedNorm),
    trainedCosine: numberOrNull(s.trainedCosine),
  };
}
