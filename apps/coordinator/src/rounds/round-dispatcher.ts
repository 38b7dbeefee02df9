import type { Participant, Round } from '../domain/records';

/**
 * Port for the effects of the round machine that reach outside the database: telling sites to train
 * or evaluate, aggregating, and arming deadline timers. The socket.io gateway implements it;
 * until then `LoggingRoundDispatcher` records what would be sent.
 */
export abstract class RoundDispatcher {
  abstract sendTrainingTasks(round: Round, siteIds: readonly string[], modelVersion: number): Promise<void>;
  abstract aggregate(round: Round, uploads: readonly Participant[]): Promise<void>;
  abstract sendEvaluationTasks(round: Round, modelVersion: number): Promise<void>;
  /** Arms a timer that calls `RoundsService.deadlinePassed` for this round at `at`. */
  abstract scheduleDeadline(round: Round, at: Date): Promise<void>;
  /** The round completed (its evaluation is final): the release verdict is recorded here. */
  async roundCompleted(_round: Round): Promise<void> {}
}

export interface EffectLog {
  info(obj: object, msg: string): void;
}

export class LoggingRoundDispatcher extends RoundDispatcher {
  constructor(private readonly log: EffectLog) {
    super();
  }
  async sendTrainingTasks(round: Round, siteIds: readonly string[], modelVersion: number): Promise<void> {
    this.log.info({ roundId: round.id, siteIds, modelVersion }, 'training tasks (no gateway attached)');
  }
  async aggregate(round: Round, uploads: readonly Participant[]): Promise<void> {
    this.log.info(
      { roundId: round.id, uploads: uploads.length },
      'aggregation requested (no aggregator attached)',
    );
  }
  async sendEvaluationTasks(round: Round, modelVersion: number): Promise<void> {
    this.log.info({ roundId: round.id, modelVersion }, 'evaluation tasks (no gateway attached)');
  }
  async scheduleDeadline(round: Round, at: Date): Promise<void> {
    this.log.info({ roundId: round.id, at: at.toISOString() }, 'deadline (no timer attached)');
  }
}
