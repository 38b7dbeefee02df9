import type { AggregateBlob } from '../models/global-models.service';
import { DomainError, assertUnreachable } from '../domain/domain-error';
import type { Participant, Round, Study, UpdateScreening } from '../domain/records';
import type { Transactions, UnitOfWork } from '../domain/transactions';
import { RoundMachine, type RoundEffect, type RoundEvent } from './round-machine';
import { nextStudyStatus, type StudyCommand } from '../domain/study-lifecycle';
import type { CoordinatorMetrics } from '../telemetry/coordinator-metrics';
import type { GlobalModelsService } from '../models/global-models.service';
import type { StudyRepository } from '../studies/study.repository';
import type { PrivacyBudget } from '@fedaln/privacy';
import {
  roundPrivacyLedger,
  type RoundPrivacy,
  studyPrivacyBudget,
  trainingPasses,
} from '../domain/study-privacy-budget';
import { crashPoint } from '../config/crash-point';
import { KeyedSerial } from './keyed-serial';
import type { AcceptedUpdate, ParticipantRepository } from './participant.repository';
import type { RoundChanges } from './round-changes';
import type { RoundRepository } from './round.repository';
import type { SitePresence } from './site-presence';

export interface RoundsLog {
  info(obj: object, msg: string): void;
}

/** Tries of one round number without quorum before the study waits for its lead. */
export const MAX_ROUND_ATTEMPTS = 3;

/** One machine step, committed: what `finish` publishes and follows up. */
interface Step {
  readonly study: Study;
  readonly from: Round;
  readonly round: Round;
  readonly event: RoundEvent;
  readonly effects: readonly RoundEffect[];
  readonly uploads: Participant[];
}

/** A round just created, committed with its study's `currentRound`. */
interface Opened {
  readonly study: Study;
  readonly round: Round;
}

/**
 * Drives studies through rounds. Each public method is an event (from the lead's REST calls, a
 * site's socket or a deadline timer); it runs the pure `RoundMachine` and, in ONE transaction
 * (`Transactions`), persists the new round, its audit entry and the machine's database effects
 * (assigning participants, marking stragglers, pausing or failing the study); only after the commit
 * does it publish the change to `RoundChanges` for everything outside the database and take the
 * follow-up steps (a retry, the next round — each its own transaction). A crash therefore leaves the
 * database before or after a step, never inside one; `RoundRecovery` continues from there. Events of
 * one study are serialised. Which sites are here comes from `SitePresence`.
 *
 * @example
 * await rounds.startStudy(studyId, 'admin'); // version 0, round 1 waiting; published as 'opened'
 * await rounds.siteJoined(studyId, siteId);  // a quorum of present sites starts training
 */
export class RoundsService {
  private readonly serial = new KeyedSerial();

  constructor(
    private readonly studies: StudyRepository,
    private readonly rounds: RoundRepository,
    private readonly participants: ParticipantRepository,
    private readonly globalModels: GlobalModelsService,
    private readonly transactions: Transactions,
    private readonly changes: RoundChanges,
    private readonly presence: SitePresence,
    private readonly metrics: CoordinatorMetrics,
    private readonly log: RoundsLog,
  ) {}

  /** Creates model version 0 and round 1 (waiting for a quorum of sites), in one transaction. */
  startStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const draft = await this.requireStudy(studyId);
      assertCommand(draft, 'start'); // before building the initial weights
      const initial = await this.globalModels.initialBlob(draft);
      const opened = await this.transactions.run(async (tx) => {
        const study = await this.command(tx, studyId, 'start', actor);
        await this.globalModels.registerInitial(tx, study, initial);
        return this.createRound(tx, study, 1);
      });
      await this.roundOpened(opened);
      return opened.study;
    });
  }

  /** No new round starts while paused; the round in flight finishes. */
  pauseStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, () =>
      this.transactions.run((tx) => this.command(tx, studyId, 'pause', actor)),
    );
  }

  resumeStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const { study, current, step } = await this.transactions.run(async (tx) => {
        const study = await this.command(tx, studyId, 'resume', actor);
        const current = await tx.rounds.find(studyId, study.currentRound);
        // It may have waited for the lead (no quorum after every try): its tries start again.
        const step =
          current?.state === 'waiting'
            ? await this.step(tx, study, current, { type: 'resumed' }, actor)
            : null;
        return { study, current, step };
      });
      if (step) {
        await this.finish(step);
        return this.requireStudy(studyId);
      }
      return current?.state === 'completed' ? this.advance(study) : study;
    });
  }

  abortStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const step = await this.transactions.run(async (tx) => {
        const study = await this.command(tx, studyId, 'abort', actor);
        const current = await tx.rounds.find(studyId, study.currentRound);
        if (!current || current.state === 'completed' || current.state === 'failed') return null;
        return this.step(tx, study, current, { type: 'abort', reason: `study aborted by ${actor}` }, actor);
      });
      if (step) await this.finish(step);
      return this.requireStudy(studyId);
    });
  }

  /**
   * A study site said hello (it is in `SitePresence` now); a waiting round starts once `min_sites`
   * of the study's sites are present.
   */
  siteJoined(studyId: string, siteId: string): Promise<void> {
    return this.serial.run(studyId, async () => {
      const study = await this.requireStudy(studyId);
      if (!study.spec.sites.includes(siteId))
        throw new DomainError('FORBIDDEN', `site ${siteId} is not part of study ${studyId}`);
      await this.tryQuorum(study);
    });
  }

  /** A site's update for the current round passed checks and is in the blob store. Idempotent. */
  updateAccepted(
    studyId: string,
    roundNumber: number,
    siteId: string,
    update: AcceptedUpdate,
  ): Promise<Participant> {
    return this.serial.run(studyId, async () => {
      const study = await this.requireStudy(studyId);
      const round = await this.requireRound(studyId, roundNumber);
      const all = await this.participants.list(studyId, roundNumber);
      const mine = all.find((p) => p.siteId === siteId);
      if (mine?.state === 'uploaded' && mine.updateSha256 === update.sha256) return mine;
      if (
        study.currentRound !== roundNumber ||
        round.state !== 'training' ||
        !mine ||
        mine.state !== 'assigned'
      ) {
        throw new DomainError(
          'FORBIDDEN',
          `site ${siteId} has no open task in round ${roundNumber} of study ${studyId}`,
        );
      }
      const waiting = all.filter((p) => p.siteId !== siteId && p.state === 'assigned');
      const { recorded, steps } = await this.transactions.run(async (tx) => {
        const recorded = await tx.participants.recordUpload(studyId, roundNumber, siteId, update);
        const accepted = await this.step(
          tx,
          study,
          round,
          { type: 'updateAccepted', siteId },
          `site:${siteId}`,
        );
        const steps = [accepted];
        if (waiting.length === 0)
          steps.push(await this.step(tx, study, accepted.round, { type: 'allUploaded' }, 'system'));
        return { recorded, steps };
      });
      this.metrics.uploads.inc();
      this.metrics.uploadBytes.inc(update.bytes);
      for (const step of steps) await this.finish(step);
      return recorded;
    });
  }

  /**
   * Crash recovery: a coordinator killed after committing a round's completion but before opening
   * the next round left the study on a completed round; advance it now. A study whose current round
   * was never created (a database written before transactions, issue 14) gets it now. Otherwise a
   * no-op.
   */
  continueAfterRestart(studyId: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const study = await this.requireStudy(studyId);
      if (study.status !== 'running' || study.currentRound < 1) return study;
      const current = await this.rounds.find(studyId, study.currentRound);
      if (!current) return this.openRound(study, study.currentRound);
      return current.state === 'completed' ? this.advance(study) : study;
    });
  }

  /** A deadline timer fired. Stale timers (round moved on, or deadline re-armed later) do nothing. */
  deadlinePassed(studyId: string, roundNumber: number, now = new Date()): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const study = await this.requireStudy(studyId);
      const round = await this.requireRound(studyId, roundNumber);
      if (!round.deadline || round.deadline.getTime() > now.getTime()) return round;
      switch (round.state) {
        case 'waiting':
          return this.apply(study, round, { type: 'deadlinePassed', quorum: false }, 'system');
        case 'training': {
          const uploaded = (await this.participants.list(studyId, roundNumber)).filter(
            (p) => p.state === 'uploaded',
          );
          const quorum = uploaded.length >= study.spec.min_sites;
          return this.apply(study, round, { type: 'deadlinePassed', quorum }, 'system');
        }
        case 'evaluating':
          return this.apply(study, round, { type: 'evaluationDeadlinePassed' }, 'system');
        default:
          return round;
      }
    });
  }

  /**
   * The aggregate of `roundNumber` is in the blob store as `stored`; it becomes that model version.
   * What screening decided per site, the model version and the transition commit together.
   */
  aggregationDone(
    studyId: string,
    roundNumber: number,
    stored: AggregateBlob,
    screening: ReadonlyMap<string, UpdateScreening> = new Map(),
  ): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const [study, round] = await this.studyAndRound(studyId, roundNumber);
      const step = await this.transactions.run(async (tx) => {
        if (round.state !== 'aggregating')
          return this.step(
            tx,
            study,
            round,
            { type: 'aggregationDone', modelVersion: roundNumber },
            'system',
          );
        await this.recordScreening(tx, round, screening);
        const model = await this.globalModels.registerAggregate(tx, studyId, roundNumber, stored);
        return this.step(
          tx,
          study,
          round,
          { type: 'aggregationDone', modelVersion: model.version },
          'system',
        );
      });
      await this.finish(step);
      return step.round;
    });
  }

  aggregationFailed(studyId: string, roundNumber: number, reason: string): Promise<Round> {
    return this.event(studyId, roundNumber, { type: 'aggregationFailed', reason });
  }

  /**
   * Screening kept fewer updates than `min_sites`: the verdicts are recorded (audit log; the rows
   * themselves are dropped as the round reopens) and the round retries, or the study waits for its lead.
   */
  quorumLost(
    studyId: string,
    roundNumber: number,
    reason: string,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const [study, round] = await this.studyAndRound(studyId, roundNumber);
      const step = await this.transactions.run(async (tx) => {
        if (round.state === 'aggregating') await this.recordScreening(tx, round, screening);
        return this.step(tx, study, round, { type: 'quorumLost', reason }, 'system');
      });
      await this.finish(step);
      return step.round;
    });
  }

  /** Stores each site's screening verdict and audit-logs it (`round.update_screened`). */
  private async recordScreening(
    tx: UnitOfWork,
    round: Round,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<void> {
    if (screening.size === 0) return;
    await tx.participants.recordScreening(round.studyId, round.number, screening);
    for (const [siteId, s] of screening) {
      await tx.audit.append({
        actor: 'system',
        action: 'round.update_screened',
        subjectType: 'round',
        subjectId: round.id,
        details: { studyId: round.studyId, number: round.number, siteId, ...s },
      });
    }
  }

  evaluationDone(studyId: string, roundNumber: number): Promise<Round> {
    return this.event(studyId, roundNumber, { type: 'evaluationDone' });
  }

  /** The study's rounds, each with the privacy its sites have spent by its end (null without `dp`). */
  async listRounds(studyId: string): Promise<Array<{ round: Round; privacy: RoundPrivacy | null }>> {
    const study = await this.requireStudy(studyId);
    const rounds = await this.rounds.list(studyId);
    const ledger = roundPrivacyLedger(study.spec, rounds);
    return rounds.map((round) => ({ round, privacy: ledger.get(round.number) ?? null }));
  }

  async getRound(
    studyId: string,
    roundNumber: number,
  ): Promise<{ round: Round; participants: Participant[]; privacy: RoundPrivacy | null }> {
    const [study, round] = await this.studyAndRound(studyId, roundNumber);
    const participants = await this.participants.list(studyId, roundNumber);
    if (!study.spec.dp) return { round, participants, privacy: null };
    const upTo = (await this.rounds.list(studyId)).filter((r) => r.number <= roundNumber);
    return { round, participants, privacy: roundPrivacyLedger(study.spec, upTo).get(roundNumber) ?? null };
  }

  private event(studyId: string, roundNumber: number, event: RoundEvent): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const [study, round] = await this.studyAndRound(studyId, roundNumber);
      return this.apply(study, round, event, 'system');
    });
  }

  /** A study command and its audit entry, in `tx`. */
  private async command(
    tx: UnitOfWork,
    studyId: string,
    command: StudyCommand,
    actor: string,
  ): Promise<Study> {
    const study = await tx.studies.findById(studyId);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${studyId}`);
    const status = assertCommand(study, command);
    const updated = await tx.studies.update(studyId, { status });
    await tx.audit.append({
      actor,
      action: `study.${command}`,
      subjectType: 'study',
      subjectId: studyId,
      details: { from: study.status, to: status },
    });
    return updated;
  }

  /** Round `number` and the study's `currentRound` pointing at it, with the audit entry, in `tx`. */
  private async createRound(tx: UnitOfWork, study: Study, number: number): Promise<Opened> {
    const current =
      study.currentRound === number ? study : await tx.studies.update(study.id, { currentRound: number });
    const now = new Date();
    const round = await tx.rounds.create({
      studyId: study.id,
      number,
      state: 'waiting',
      attempt: 1,
      deadline: new Date(now.getTime() + study.spec.round_deadline_s * 1000),
      startedAt: now,
    });
    await tx.audit.append({
      actor: 'system',
      action: 'round.opened',
      subjectType: 'round',
      subjectId: round.id,
      details: { studyId: study.id, number },
    });
    return { study: current, round };
  }

  private async openRound(study: Study, number: number): Promise<Study> {
    const opened = await this.transactions.run((tx) => this.createRound(tx, study, number));
    await this.roundOpened(opened);
    return opened.study;
  }

  /** After the commit: publish the new round, then see whether a quorum is already here. */
  private async roundOpened({ study, round }: Opened): Promise<void> {
    crashPoint('round:opened');
    this.log.info({ studyId: study.id, roundId: round.id, number: round.number }, 'round opened');
    const effects = [{ type: 'scheduleDeadline', seconds: study.spec.round_deadline_s }] as const;
    await this.changes.publish({ study, round, from: null, event: 'opened', effects, uploads: [] });
    await this.tryQuorum(study);
  }

  private async tryQuorum(study: Study): Promise<void> {
    if (study.status !== 'running') return;
    const round = await this.rounds.find(study.id, study.currentRound);
    const present = this.presence.present(study.spec.sites);
    if (round?.state === 'waiting' && present.length >= study.spec.min_sites) {
      await this.apply(study, round, { type: 'quorumReached', siteIds: present }, 'system');
    }
  }

  /** One machine step in its own transaction, then published and followed up. */
  private async apply(study: Study, round: Round, event: RoundEvent, actor: string): Promise<Round> {
    const step = await this.transactions.run((tx) => this.step(tx, study, round, event, actor));
    await this.finish(step);
    return step.round;
  }

  /** Runs the machine and writes its outcome in `tx`: the round, its audit entry, the database effects. */
  private async step(
    tx: UnitOfWork,
    study: Study,
    round: Round,
    event: RoundEvent,
    actor: string,
  ): Promise<Step> {
    const machine = new RoundMachine({
      deadlineSeconds: study.spec.round_deadline_s,
      maxAttempts: MAX_ROUND_ATTEMPTS,
    });
    const t = machine.transition(round, event);
    if (t.kind === 'illegal') {
      throw new DomainError(
        'ROUND_ILLEGAL_TRANSITION',
        `round ${round.number} of study ${study.id} is ${t.from}; ${t.event} is not allowed`,
        { from: t.from, event: t.event },
      );
    }
    const now = new Date();
    const schedule = t.effects.find((e) => e.type === 'scheduleDeadline');
    const terminal = t.round.state === 'completed' || t.round.state === 'failed';
    const failed = t.effects.find((e) => e.type === 'roundFailed');
    const next = await tx.rounds.update(round.id, {
      state: t.round.state,
      attempt: t.round.attempt,
      ...(schedule ? { deadline: new Date(now.getTime() + schedule.seconds * 1000) } : {}),
      // A round that waits for its lead waits on no deadline: nothing fires until the lead resumes.
      ...(t.effects.some((e) => e.type === 'awaitLead') ? { deadline: null } : {}),
      ...(terminal ? { endedAt: now } : {}),
      ...(failed ? { failureReason: failed.reason } : {}),
    });
    if (next.state !== round.state || next.attempt !== round.attempt) {
      await tx.audit.append({
        actor,
        action: 'round.transition',
        subjectType: 'round',
        subjectId: round.id,
        details: {
          studyId: study.id,
          number: round.number,
          from: round.state,
          to: next.state,
          event: event.type,
          attempt: next.attempt,
        },
      });
      this.log.info(
        { studyId: study.id, roundId: round.id, from: round.state, to: next.state, event: event.type },
        'round transition',
      );
    }
    for (const effect of t.effects) await this.before(tx, effect, study, next);
    const uploads = t.effects.some((e) => e.type === 'aggregate')
      ? (await tx.participants.list(study.id, round.number)).filter((p) => p.state === 'uploaded')
      : [];
    return { study, from: round, round: next, event, effects: t.effects, uploads };
  }

  /** After the commit: publish the change, then take the follow-up steps. */
  private async finish(step: Step): Promise<void> {
    const { study, round } = step;
    crashPoint(`round:${step.event.type}`);
    await this.changes.publish({
      study,
      round,
      from: step.from.state,
      event: step.event.type,
      effects: step.effects,
      uploads: step.uploads,
    });
    for (const effect of step.effects) await this.after(effect, study, round);
  }

  /** The database side of an effect, in the step's transaction. */
  private async before(tx: UnitOfWork, effect: RoundEffect, study: Study, round: Round): Promise<void> {
    switch (effect.type) {
      case 'sendTrainingTasks':
        // Rows first: a site told to train must find its task when it uploads.
        return tx.participants.assign(study.id, round.number, effect.siteIds);
      case 'markStragglers': {
        const stragglers = await tx.participants.markStragglers(study.id, round.number);
        await tx.audit.append({
          actor: 'system',
          action: 'round.stragglers',
          subjectType: 'round',
          subjectId: round.id,
          details: { siteIds: stragglers },
        });
        return;
      }
      case 'reopenRound':
        return tx.participants.reopen(study.id, round.number);
      case 'roundFailed': {
        const current = await tx.studies.findById(study.id);
        if (current && nextStudyStatus(current.status, 'fail'))
          await this.command(tx, study.id, 'fail', 'system');
        return;
      }
      case 'awaitLead': {
        // The study waits for its lead, who sees why (the audit entry, the dashboard) and resumes
        // (after revoking a bad site, say) or aborts: lost quorum never fails a study by itself.
        const current = await tx.studies.findById(study.id);
        if (!current || !nextStudyStatus(current.status, 'pause')) return;
        await this.command(tx, study.id, 'pause', 'system');
        await tx.audit.append({
          actor: 'system',
          action: 'study.awaiting_lead',
          subjectType: 'study',
          subjectId: study.id,
          details: { round: round.number, reason: effect.reason },
        });
        this.log.info(
          { studyId: study.id, round: round.number, reason: effect.reason },
          'study awaits its lead',
        );
        return;
      }
      case 'persistRound': // done by step() before any effect
      case 'scheduleDeadline': // RoundTimers
      case 'aggregate': // AggregationRunner
      case 'sendEvaluationTasks': // TaskDispatch
      case 'retryRound':
      case 'roundCompleted':
        return;
      default:
        return assertUnreachable(effect);
    }
  }

  /** The follow-up steps of an effect, taken once the change is committed and published. */
  private async after(effect: RoundEffect, study: Study, round: Round): Promise<void> {
    switch (effect.type) {
      case 'retryRound':
        return this.tryQuorum(study);
      case 'roundCompleted':
        this.metrics.roundDuration.observe((Date.now() - round.startedAt.getTime()) / 1000);
        await this.advance(await this.requireStudy(study.id));
        return;
      case 'roundFailed': // the study failed in the step's transaction
      case 'awaitLead': // the study paused in the step's transaction
      case 'persistRound':
      case 'reopenRound':
      case 'sendTrainingTasks':
      case 'scheduleDeadline':
      case 'markStragglers':
      case 'aggregate':
      case 'sendEvaluationTasks':
        return;
      default:
        return assertUnreachable(effect);
    }
  }

  /** After a completed round: the next round, or completion after the last one (a transaction each). */
  private async advance(study: Study): Promise<Study> {
    if (study.status !== 'running') return study;
    if (study.currentRound >= study.spec.rounds)
      return this.transactions.run((tx) => this.command(tx, study.id, 'complete', 'system'));
    const budget =
      study.spec.dp && studyPrivacyBudget(study.spec, trainingPasses(await this.rounds.list(study.id)));
    if (budget && !budget.nextRoundAllowed) return this.budgetSpent(study, budget);
    return this.openRound(study, study.currentRound + 1);
  }

  /**
   * The next round would take a site past the study's `dp.max_epsilon`: the study completes early
   * (its last round's model stands), with the ε spent and the ε the refused round would have reached.
   */
  private async budgetSpent(study: Study, budget: PrivacyBudget): Promise<Study> {
    const worst = (key: 'spent' | 'afterNextRound'): number =>
      Math.max(...budget.sites.map((site) => site[key].epsilon));
    const details = {
      roundsDone: study.currentRound,
      epsilonSpent: worst('spent'),
      epsilonAfterNextRound: worst('afterNextRound'),
      maxEpsilon: budget.maxEpsilon,
      delta: budget.delta,
      reason:
        `round ${study.currentRound + 1} refused: it would take ε from ${worst('spent').toFixed(3)} to ` +
        `${worst('afterNextRound').toFixed(3)}, above dp.max_epsilon ${budget.maxEpsilon} at δ ${budget.delta}`,
    };
    this.log.info({ studyId: study.id, ...details }, 'privacy budget spent: no further round');
    return this.transactions.run(async (tx) => {
      const completed = await this.command(tx, study.id, 'complete', 'system');
      await tx.audit.append({
        actor: 'system',
        action: 'study.privacy_budget_spent',
        subjectType: 'study',
        subjectId: study.id,
        details,
      });
      return completed;
    });
  }

  private studyAndRound(studyId: string, roundNumber: number): Promise<[Study, Round]> {
    return Promise.all([this.requireStudy(studyId), this.requireRound(studyId, roundNumber)]);
  }

  private async requireStudy(id: string): Promise<Study> {
    const study = await this.studies.findById(id);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${id}`);
    return study;
  }

  private async requireRound(studyId: string, n: number): Promise<Round> {
    const round = await this.rounds.find(studyId, n);
    if (!round) throw new DomainError('ROUND_NOT_FOUND', `study ${studyId} has no round ${n}`);
    return round;
  }
}

/** The status `command` takes the study to, or STUDY_ILLEGAL_COMMAND. */
function assertCommand(study: Study, command: StudyCommand): Study['status'] {
  const status = nextStudyStatus(study.status, command);
  if (!status) {
    throw new DomainError(
      'STUDY_ILLEGAL_COMMAND',
      `cannot ${command} study ${study.id}: it is ${study.status}`,
      { status: study.status, command },
    );
  }
  return status;
}
