import type { ReleaseVerdict } from '../evaluation/release-policy';
import type { ReleaseRecord } from './release-record';

/** A round's recorded policy verdict. */
export interface RecordedVerdict {
  readonly studyId: string;
  readonly round: number;
  readonly verdict: ReleaseVerdict;
  readonly recordedAt: Date;
}

/** Port for release verdicts, one per (study, round); saving again replaces it. */
export abstract class VerdictRepository {
  abstract save(studyId: string, round: number, verdict: ReleaseVerdict): Promise<RecordedVerdict>;
  abstract find(studyId: string, round: number): Promise<RecordedVerdict | null>;
  abstract list(studyId: string): Promise<RecordedVerdict[]>;
}

/** Port for releases: insert-only (the table refuses updates). */
export abstract class ReleaseRepository {
  /** The next free version (max + 1, from 1). */
  abstract nextVersion(): Promise<number>;
  /** Inserts the record; a second release of the same (study, round) or version is refused by the DB. */
  abstract add(record: ReleaseRecord): Promise<ReleaseRecord>;
  /**
   * The manifest sha256 of the study's newest release that has a manifest (the next one's link), or
   * null. A second signed release naming the same predecessor is refused by the DB (a linear chain).
   */
  abstract lastManifestSha256(studyId: string): Promise<string | null>;
  abstract find(version: number): Promise<ReleaseRecord | null>;
  abstract findByRound(studyId: string, round: number): Promise<ReleaseRecord | null>;
  /** Newest first; `studyId` narrows to one study. */
  abstract list(studyId?: string): Promise<ReleaseRecord[]>;
}
