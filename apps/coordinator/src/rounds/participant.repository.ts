import type { Participant, UpdateScreening } from '../domain/records';

export interface AcceptedUpdate {
  readonly nTrain: number;
  readonly sha256: string;
  readonly bytes: number;
}

/** Port for round participants; rows are unique per (study, round, site). */
export abstract class ParticipantRepository {
  /** Marks the sites as assigned; sites already present keep their row. */
  abstract assign(studyId: string, roundNumber: number, siteIds: readonly string[]): Promise<void>;
  /** Records an upload; repeating it (same or new hash) leaves exactly one row per site. */
  abstract recordUpload(
    studyId: string,
    roundNumber: number,
    siteId: string,
    update: AcceptedUpdate,
  ): Promise<Participant>;
  /** Every still-`assigned` participant becomes a `straggler`; returns their site ids. */
  abstract markStragglers(studyId: string, roundNumber: number): Promise<string[]>;
  abstract list(studyId: string, roundNumber: number): Promise<Participant[]>;
  /** Drops the round's rows: its sites are assigned afresh when it retries (quorum lost to screening). */
  abstract reopen(studyId: string, roundNumber: number): Promise<void>;
  /** Stores what screening decided per site (rows of sites not in the map keep theirs). */
  abstract recordScreening(
    studyId: string,
    roundNumber: number,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<void>;
}
