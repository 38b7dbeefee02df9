import type { AggregationRunner } from '../aggregation/aggregation-runner';
import type { RoundAggregator } from '../aggregation/round-aggregator';
import type { StudyRepository } from '../studies/study.repository';
import type { ParticipantRepository } from './participant.repository';
import type { RoundRepository } from './round.repository';
import type { RoundTimers } from './round-timers';
import type { RoundsService } from './rounds.service';

export interface RecoveryLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Crash recovery, run once at start before sites can connect: for every running study, re-arms the
 * current round's deadline, re-folds the accepted updates of a training round from the blob store,
 * restarts an interrupted aggregation, and opens the next round after a completed one whose
 * successor was never opened (or the current round, if it was never created). Evaluation resumes as sites reconnect (`SiteArrivals.hello` re-sends
 * their task).
 *
 * @example
 * await recovery.recover(); // Nest calls it at bootstrap (AppModule)
 */
export class RoundRecovery {
  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly participants: ParticipantRepository,
    private readonly service: RoundsService,
    private readonly timers: RoundTimers,
    private readonly aggregator: RoundAggregator,
    private readonly runner: AggregationRunner,
    private readonly log: RecoveryLog,
  ) {}

  async recover(): Promise<void> {
    for (const study of await this.studies.list()) {
      if (study.status !== 'running' || study.currentRound < 1) continue;
      const round = await this.rounds.find(study.id, study.currentRound);
      // No round: a database from before transactions (issue 14) crashed between setting
      // currentRound and creating the round. Completed: the next round was never opened.
      if (!round || round.state === 'completed') {
        await this.service.continueAfterRestart(study.id);
        continue;
      }
      const uploads = (await this.participants.list(study.id, round.number)).filter(
        (p) => p.state === 'uploaded',
      );
      if (round.state !== 'aggregating') this.timers.arm(round);
      if (round.state === 'training' && uploads.length > 0) {
        const { aggregator } = this;
        try {
          const refolded = await aggregator.serial.run(study.id, () =>
            aggregator.reconcile(study.id, round.number, uploads),
          );
          this.log.info({ studyId: study.id, round: round.number, refolded }, 'recovered training round');
        } catch (e) {
          // The aggregation refolds from the blob store again, and fails the round with the reason.
          aggregator.drop(study.id);
          this.log.error(
            { err: e, studyId: study.id, round: round.number },
            'could not refold the accepted updates of the training round; the aggregation will try again',
          );
        }
      }
      if (round.state === 'aggregating') {
        this.log.info({ studyId: study.id, round: round.number }, 'resuming aggregation');
        this.runner.start(round, uploads);
      }
    }
  }
}
