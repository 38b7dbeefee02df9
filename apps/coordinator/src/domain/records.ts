/**
 * The coordinator's domain records: plain, framework-free shapes that services and repositories
 * exchange. TypeORM entities (persistence/entities) and HTTP responses (`*.response.ts`) are mapped
 * to and from these; neither leaks past its layer.
 */
import type { ScreeningVerdictKind } from '@fedaln/aggregation';
import type { RoundState } from '../rounds/round-machine';
import type { StudySpec } from './study-spec';
import type { StudyStatus } from './study-lifecycle';

export type SiteStatus = 'active' | 'revoked';

/** A site's training and test case counts. */
export interface CaseCounts {
  readonly nTrain: number;
  readonly nTest: number;
}

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly status: SiteStatus;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  /**
   * The counts the lead approved (at enrolment or on the dashboard): a site's FedAvg weight may not
   * exceed `nTrain`, and its evaluation reports must cover exactly `nTest` cases. Null: not approved.
   */
  readonly approvedCases: CaseCounts | null;
  /** The counts the site last claimed in `hello`, as it said them (shown to the lead, never trusted). */
  readonly claimedCases: CaseCounts | null;
}

/** A salted scrypt hash of a secret (enrolment or admin token); the secret itself is never stored. */
export interface SecretHash {
  readonly salt: string;
  readonly hash: string;
}

export interface Study {
  readonly id: string;
  readonly name: string;
  readonly spec: StudySpec;
  readonly status: StudyStatus;
  /** 0 before the first round. */
  readonly currentRound: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Round {
  readonly id: string;
  readonly studyId: string;
  readonly number: number;
  readonly state: RoundState;
  readonly attempt: number;
  readonly deadline: Date | null;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  /** Why the round failed (the machine's `roundFailed` reason, e.g. too few survivors to unmask); null otherwise. */
  readonly failureReason: string | null;
}

export const PARTICIPANT_STATES = ['assigned', 'uploaded', 'straggler', 'rejected'] as const;
export type ParticipantState = (typeof PARTICIPANT_STATES)[number];
export interface Participant {
  readonly studyId: string;
  readonly roundNumber: number;
  readonly siteId: string;
  readonly state: ParticipantState;
  readonly reason: string | null;
  readonly nTrain: number | null;
  readonly updateSha256: string | null;
  readonly updateBytes: number | null;
  /** What screening decided for the update at aggregation; null before (or without) screening. */
  readonly screening: UpdateScreening | null;
}

/**
 * A site's update as screening saw it (issue 13), with the numbers the verdict rests on; null
 * where a number is undefined (a cosine in a round of fewer than three updates, a clip bound when
 * clipping is off).
 */
export interface UpdateScreening {
  /** One of `SCREENING_VERDICT_KINDS` (`@fedaln/aggregation` decides them). */
  readonly verdict: ScreeningVerdictKind;
  readonly reason: string;
  readonly norm: number | null;
  readonly normZ: number | null;
  readonly cosine: number | null;
  /** The cosine's robust z among the round's cosines. */
  readonly cosineZ: number | null;
  readonly clipBound: number | null;
  /** The factor the update was multiplied by (clipping). */
  readonly scale: number;
  /** The factor its sample count was multiplied by (down-weighting; 0 when left out). */
  readonly weight: number;
  readonly worstTensor: {
    readonly name: string;
    readonly norm: number;
    readonly ratioToMedian: number | null;
  } | null;
  /**
   * Norm and cosine (to the others' median) of the trained tensors alone, BatchNorm statistics
   * apart; absent or null in rounds screened before tensor groups.
   */
  readonly trainedNorm?: number | null;
  readonly trainedCosine?: number | null;
}

export interface GlobalModel {
  readonly studyId: string;
  /** 0 is the initial model; version r is the aggregate of round r. */
  readonly version: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly roundNumber: number | null;
  readonly createdAt: Date;
  /**
   * FedAdam studies: the blob of the server optimizer's moments after this version (m/… and v/…
   * tensors, aggregation/fedadam-server-step.ts); absent for other strategies and version 0.
   */
  readonly serverStateSha256?: string;
}

export interface AuditEntry {
  /** `admin`, `site:<id>`, `cli` or `system`. */
  readonly actor: string;
  /** Dotted verb, e.g. `site.enrolled`, `round.transition`. */
  readonly action: string;
  readonly subjectType: 'site' | 'study' | 'round' | 'model' | 'admin' | 'release';
  readonly subjectId: string;
  readonly details: Readonly<Record<string, unknown>>;
}
export interface AuditRecord extends AuditEntry {
  readonly id: number;
  readonly at: Date;
}
