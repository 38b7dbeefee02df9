import type { Round } from '../domain/records';

export type NewRound = Omit<Round, 'id' | 'endedAt' | 'failureReason'>;
export type RoundChange = Partial<
  Pick<Round, 'state' | 'attempt' | 'deadline' | 'endedAt' | 'failureReason'>
>;

export abstract class RoundRepository {
  abstract create(round: NewRound): Promise<Round>;
  abstract find(studyId: string, number: number): Promise<Round | null>;
  abstract list(studyId: string): Promise<Round[]>;
  abstract update(id: string, change: RoundChange): Promise<Round>;
  abstract countByState(): Promise<ReadonlyMap<string, number>>;
}
