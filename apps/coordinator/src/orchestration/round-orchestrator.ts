import type { TaskPayload } from '@fedaln/protocol';
import type { Participant, Round, Study } from '../domain/records';
import type { GlobalModelRepository } from '../models/global-model.repository';
import type { ParticipantRepository } from '../rounds/participant.repository';
import { RoundDispatcher, type EffectLog } from '../rounds/round-dispatcher';
import type { RoundRepository } from '../rounds/round.repository';
import type { RoundsService } from '../rounds/rounds.service';
import type { StudyRepository } from '../studies/study.repository';
import { fitStudyFeatureModel, type FeatureModelStore } from './feature-model';
import type { MonitorFeed } from './monitor-feed';
import type { RoundAggregator } from './round-aggregator';
import type { SiteSessions } from './site-sessions';

export interface OrchestratorLog extends EffectLog {
  error(obj: object, msg: string): void;
}

export interface RoundOrchestratorDeps {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly participants: ParticipantRepository;
  readonly models: GlobalModelRepository;
  readonly aggregator: RoundAggregator;
  readonly sessions: SiteSessions;
  readonly monitor: MonitorFeed;
  readonly log: OrchestratorLog;
  /** Records the release verdict of a completed round (RoundEvaluationService). */
  readonly completions?: { roundCompleted(studyId: string, round: number): Promise<unknown> };
  /** The studies' four-feature baselines (issue 6); absent, evaluate tasks carry none. */
  readonly featureModels?: FeatureModelStore;
  /** Test hook (FEDALN_TEST_AGGREGATION_DELAY_MS): a pause inside aggregation so e2e can kill there. */
  readonly aggregationDelayMs: number;
}

/** setTimeout's largest delay; a later deadline is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const DEADLINE_SLACK_MS = 20;

/**
 * Executes the round machine's outside effects for `RoundsService` (it is the `RoundDispatcher`):
 * sends `task`s to connected sites, runs aggregation off the service's lock, arms deadline timers,
 * and on start rebuilds the rounds in flight from the database (`recover`).
 *
 * @example
 * const orchestrator = new RoundOrchestrator(); // provided to AppModule as its RoundDispatcher
 * orchestrator.bind(deps, app.get(RoundsService));
 * await orchestrator.recover();
 */
export class RoundOrchestrator extends RoundDispatcher {
  private bound: { deps: RoundOrchestratorDeps; service: RoundsService } | null = null;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /**
   * RoundsService (and the repositories, from the Nest container) depend on this dispatcher, so
   * they are handed over once the app exists, before any site can connect.
   */
  bind(deps: RoundOrchestratorDeps, service: RoundsService): void {
    this.bound = { deps, service };
  }

  get roundsService(): RoundsService {
    return this.wired.service;
  }

  private get deps(): RoundOrchestratorDeps {
    return this.wired.deps;
  }

  private get wired(): { deps: RoundOrchestratorDeps; service: RoundsService } {
    if (!this.bound) throw new Error('RoundOrchestrator.bind() was not called at start-up');
    return this.bound;
  }

  async sendTrainingTasks(round: Round, siteIds: readonly string[]): Promise<void> {
    this.announce(round, 'training');
    const study = await this.deps.studies.findById(round.studyId);
    if (!study) return;
    for (const siteId of siteIds) {
      const task = await this.task(study, round, 'train');
      this.deps.sessions.get(siteId)?.send(task);
    }
  }

  async aggregate(round: Round, uploads: readonly Participant[]): Promise<void> {
    this.announce(round, 'aggregating');
    // Not awaited: aggregation ends by calling RoundsService, whose per-study lock we are inside.
    void this.runAggregation(round, uploads);
  }

  async sendEvaluationTasks(round: Round): Promise<void> {
    this.announce(round, 'evaluating');
    const study = await this.deps.studies.findById(round.studyId);
    if (!study) return;
    const participants = await this.deps.participants.list(round.studyId, round.number);
    await this.ensureFeatureModel(
      study.id,
      participants.filter((p) => p.state === 'uploaded').map((p) => p.siteId),
    );
    for (const p of participants) {
      if (p.state !== 'uploaded') continue;
      const session = this.deps.sessions.get(p.siteId);
      if (session) session.send(await this.task(study, round, 'evaluate'));
    }
  }

  /** A failure is logged, not thrown: the verdict is recomputed when the round's metrics are read. */
  override async roundCompleted(round: Round): Promise<void> {
    await this.deps.completions
      ?.roundCompleted(round.studyId, round.number)
      .catch((e: unknown) =>
        this.deps.log.error({ err: e, roundId: round.id }, 'recording the release verdict failed'),
      );
  }

  async scheduleDeadline(round: Round, at: Date): Promise<void> {
    // A round just opened: sites already connected join it as if they had said hello now (queued
    // behind the RoundsService step we are called from, so not awaited).
    if (round.state === 'waiting') void this.joinConnected(round.studyId);
    clearTimeout(this.timers.get(round.id));
    // A timer may fire a millisecond before Date.now() reaches `at`, which RoundsService would treat
    // as stale: aim a little late, and re-arm if the round still waits for a later deadline.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at.getTime() - Date.now()) + DEADLINE_SLACK_MS);
    const timer = setTimeout(() => {
      this.timers.delete(round.id);
      this.roundsService.deadlinePassed(round.studyId, round.number).then(
        (after) => {
          if (after.state !== round.state) this.announce(after, after.state);
          if (after.state === 'failed') this.deps.aggregator.drop(round.studyId);
          const open =
            after.state === 'waiting' || after.state === 'training' || after.state === 'evaluating';
          if (open && after.deadline && !this.timers.has(round.id))
            void this.scheduleDeadline(after, after.deadline);
        },
        (e: unknown) => this.deps.log.error({ err: e, roundId: round.id }, 'deadline handling failed'),
      );
    }, delay);
    this.timers.set(round.id, timer);
  }

  /**
   * The task a site should be working on in `round` ('train' from version r − 1, 'evaluate' of
   * version r), with the model's hash and size so the site can fetch and check it.
   */
  async task(study: Study, round: Round, kind: TaskPayload['kind']): Promise<TaskPayload> {
    const version = kind === 'train' ? round.number - 1 : round.number;
    const model = await this.deps.models.find(study.id, version);
    const featureModel = kind === 'evaluate' ? await this.deps.featureModels?.find(study.id) : null;
    return {
      kind,
      study_id: study.id,
      round: round.number,
      model_version: version,
      model_sha256: model?.sha256 ?? '',
      model_bytes: model?.bytes ?? 0,
      arch: study.spec.arch,
      input_size: study.spec.input_size,
      rounds: study.spec.rounds,
      epochs: study.spec.local_epochs,
      batch_size: study.spec.batch_size,
      learning_rate: study.spec.learning_rate,
      deadline: (round.deadline ?? new Date()).toISOString(),
      ...(featureModel ? { feature_model: featureModel } : {}),
    };
  }

  /**
   * Once per study, before its first evaluate tasks: the federated four-feature fit over the
   * connected sites that evaluate and have the feature columns (fitStudyFeatureModel), stored for every later evaluate task. A
   * skipped fit is retried at the next round, when more sites may be connected.
   */
  private async ensureFeatureModel(studyId: string, siteIds: readonly string[]): Promise<void> {
    const store = this.deps.featureModels;
    if (!store || (await store.find(studyId))) return;
    const calls = siteIds.flatMap((id) => {
      // Only sites that said in hello they have the columns: an older client would never ack.
      const session = this.deps.sessions.get(id);
      const call = session?.hello?.clinical_features ? session.featureStats : undefined;
      return call ? [[id, call] as const] : [];
    });
    const fm = await fitStudyFeatureModel(studyId, calls, this.deps.log);
    if (!fm) return;
    await store.save(studyId, fm);
    this.deps.log.info(
      { studyId, sites: fm.sites, coefficients: fm.coefficients },
      'four-feature model fitted',
    );
  }

  /**
   * Crash recovery: for every running study, re-arms the current round's deadline, re-folds the
   * accepted updates of a training round from the blob store, restarts an interrupted
   * aggregation, and opens the next round after a completed one whose successor was never opened. Evaluation resumes as sites reconnect (`SiteIntake.hello` re-sends their task).
   */
  async recover(): Promise<void> {
    for (const study of await this.deps.studies.list()) {
      if (study.status !== 'running' || study.currentRound < 1) continue;
      const round = await this.deps.rounds.find(study.id, study.currentRound);
      if (!round) continue;
      if (round.state === 'completed') {
        await this.roundsService.continueAfterRestart(study.id);
        continue;
      }
      const uploads = (await this.deps.participants.list(study.id, round.number)).filter(
        (p) => p.state === 'uploaded',
      );
      if (round.state !== 'aggregating' && round.deadline) await this.scheduleDeadline(round, round.deadline);
      if (round.state === 'training' && uploads.length > 0) {
        const { aggregator } = this.deps;
        try {
          const refolded = await aggregator.serial.run(study.id, () =>
            aggregator.reconcile(study.id, round.number, uploads),
          );
          this.deps.log.info(
            { studyId: study.id, round: round.number, refolded },
            'recovered training round',
          );
        } catch (e) {
          // The aggregation refolds from the blob store again, and fails the round with the reason.
          aggregator.drop(study.id);
          this.deps.log.error(
            { err: e, studyId: study.id, round: round.number },
            'could not refold the accepted updates of the training round; the aggregation will try again',
          );
        }
      }
      if (round.state === 'aggregating') {
        this.deps.log.info({ studyId: study.id, round: round.number }, 'resuming aggregation');
        await this.aggregate(round, uploads);
      }
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  announce(round: Pick<Round, 'studyId' | 'number'>, state: Round['state']): void {
    this.deps.monitor.roundState({
      study_id: round.studyId,
      round: round.number,
      state,
      at: new Date().toISOString(),
    });
  }

  private async joinConnected(studyId: string): Promise<void> {
    try {
      const study = await this.deps.studies.findById(studyId);
      for (const siteId of study?.spec.sites ?? []) {
        if (this.deps.sessions.get(siteId)?.hello) await this.roundsService.siteJoined(studyId, siteId);
      }
    } catch (e) {
      this.deps.log.error({ err: e, studyId }, 'connected sites could not join the new round');
    }
  }

  private async runAggregation(round: Round, uploads: readonly Participant[]): Promise<void> {
    const { aggregator, log } = this.deps;
    try {
      const stored = await aggregator.serial.run(round.studyId, async () => {
        log.info(
          { studyId: round.studyId, round: round.number, uploads: uploads.length },
          'aggregation started',
        );
        if (this.deps.aggregationDelayMs > 0)
          await new Promise((r) => setTimeout(r, this.deps.aggregationDelayMs));
        return aggregator.aggregate(round.studyId, round.number, uploads);
      });
      log.info({ studyId: round.studyId, round: round.number, sha256: stored.sha256 }, 'aggregation stored');
      await this.roundsService.aggregationDone(round.studyId, round.number, stored.sha256);
    } catch (e) {
      log.error({ err: e, studyId: round.studyId, round: round.number }, 'aggregation failed');
      aggregator.drop(round.studyId);
      await this.roundsService
        .aggregationFailed(round.studyId, round.number, e instanceof Error ? e.message : String(e))
        .catch((err: unknown) => log.error({ err }, 'recording the failed aggregation failed'));
    }
  }
}
