import type { Participant, Round } from '../domain/records';

export interface RoundResponse {
  number: number;
  state: string;
  attempt: number;
  deadline: string | null;
  started_at: string;
  ended_at: string | null;
}

export interface ParticipantResponse {
  site_id: string;
  state: string;
  reason: string | null;
  n_train: number | null;
  update_sha256: string | null;
  update_bytes: number | null;
}

/** @example mapRound(round) // { number: 1, state: 'waiting', attempt: 1, deadline: '…', … } */
export function mapRound(round: Round): RoundResponse {
  return {
    number: round.number,
    state: round.state,
    attempt: round.attempt,
    deadline: round.deadline?.toISOString() ?? null,
    started_at: round.startedAt.toISOString(),
    ended_at: round.endedAt?.toISOString() ?? null,
  };
}

export function mapParticipant(p: Participant): ParticipantResponse {
  return {
    site_id: p.siteId,
    state: p.state,
    reason: p.reason,
    n_train: p.nTrain,
    update_sha256: p.updateSha256,
    update_bytes: p.updateBytes,
  };
}
