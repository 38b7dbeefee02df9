import { PARTICIPANT_STATES, type Participant } from '../../domain/records';
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
  };
}
