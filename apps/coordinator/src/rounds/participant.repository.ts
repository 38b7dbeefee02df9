import type { Participant } from '../domain/records';

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
}
