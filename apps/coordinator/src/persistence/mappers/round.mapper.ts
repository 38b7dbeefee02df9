import type { Round } from '../../domain/records';
import { ROUND_STATES } from '../../rounds/round-machine';
import type { RoundEntity } from '../entities/round.entity';
import { oneOf, toDate, toDateOrNull } from './column';

export function roundFromEntity(e: RoundEntity): Round {
  return {
    id: e.id,
    studyId: e.studyId,
    number: e.number,
    state: oneOf(ROUND_STATES, e.state, 'rounds.state'),
    attempt: e.attempt,
    deadline: toDateOrNull(e.deadline),
    startedAt: toDate(e.startedAt),
    endedAt: toDateOrNull(e.endedAt),
    failureReason: e.failureReason ?? null,
  };
}
