import type { Participant, Round, UpdateScreening } from '../domain/records';
import type { RoundPrivacy } from '../domain/study-privacy-budget';

export interface RoundResponse {
  number: number;
  state: string;
  attempt: number;
  deadline: string | null;
  started_at: string;
  ended_at: string | null;
  /** Why the round failed (e.g. "only 3 survivors answered the unmasking, below the threshold 4: …"); null unless failed. */
  failure_reason: string | null;
  /** ε spent by the end of this round (cumulative), from the coordinator's accountant; null without `dp`. */
  privacy: RoundPrivacyResponse | null;
}

export interface RoundPrivacyResponse {
  /** The largest ε over the sites (the study's ε). */
  epsilon: number;
  delta: number;
  max_epsilon: number;
  /** DP-SGD steps each site is charged for up to this round. */
  steps: number;
  /** False for `accounting_only` studies (ε of noise no site added). */
  noise_added: boolean;
  sites: Array<{ site_id: string; epsilon: number; order: number | null }>;
}

export interface ParticipantResponse {
  site_id: string;
  state: string;
  reason: string | null;
  n_train: number | null;
  update_sha256: string | null;
  update_bytes: number | null;
  /** What screening decided for the update (issue 13); null before aggregation or without screening. */
  screening: ScreeningResponse | null;
}

export interface ScreeningResponse {
  verdict: string;
  reason: string;
  norm: number | null;
  norm_z: number | null;
  cosine: number | null;
  cosine_z: number | null;
  clip_bound: number | null;
  scale: number;
  weight: number;
  worst_tensor: { name: string; norm: number; ratio_to_median: number | null } | null;
  /** The trained tensors alone (BatchNorm statistics apart); null in rounds screened before that. */
  trained_norm: number | null;
  trained_cosine: number | null;
}

/** @example mapRound(round, null) // { number: 1, state: 'waiting', attempt: 1, deadline: '…', …, privacy: null } */
export function mapRound(round: Round, privacy: RoundPrivacy | null): RoundResponse {
  return {
    number: round.number,
    state: round.state,
    attempt: round.attempt,
    deadline: round.deadline?.toISOString() ?? null,
    started_at: round.startedAt.toISOString(),
    ended_at: round.endedAt?.toISOString() ?? null,
    failure_reason: round.failureReason,
    privacy: privacy && mapRoundPrivacy(privacy),
  };
}

/** @example mapRoundPrivacy(privacy) // { epsilon: 2.1, delta: 1e-5, max_epsilon: 8, steps: 40, … } */
export function mapRoundPrivacy(p: RoundPrivacy): RoundPrivacyResponse {
  return {
    epsilon: Math.max(0, ...p.sites.map((s) => s.epsilon)),
    delta: p.delta,
    max_epsilon: p.maxEpsilon,
    steps: p.steps,
    noise_added: p.noiseAdded,
    sites: p.sites.map((s) => ({
      site_id: s.site,
      epsilon: s.epsilon,
      order: Number.isNaN(s.order) ? null : s.order,
    })),
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
    screening: p.screening && mapScreening(p.screening),
  };
}

/** @example mapScreening(s) // { verdict: 'clipped', reason: 'norm 4.1 is 3.5× the round's median …', norm: 4.1, … } */
export function mapScreening(s: UpdateScreening): ScreeningResponse {
  return {
    verdict: s.verdict,
    reason: s.reason,
    norm: s.norm,
    norm_z: s.normZ,
    cosine: s.cosine,
    cosine_z: s.cosineZ,
    clip_bound: s.clipBound,
    scale: s.scale,
    weight: s.weight,
    worst_tensor: s.worstTensor && {
      name: s.worstTensor.name,
      norm: s.worstTensor.norm,
      ratio_to_median: s.worstTensor.ratioToMedian,
    },
    trained_norm: s.trainedNorm ?? null,
    trained_cosine: s.trainedCosine ?? null,
  };
}
