import type { AuditLog } from '../audit/audit-log';
import type { StoredBlob } from '../blobs/blob-store';
import { DomainError, assertUnreachable } from '../domain/domain-error';
import type { Participant, Round, Study, UpdateScreening } from '../domain/records';
import { RoundMachine, type RoundEffect, type RoundEvent } from './round-machine';
import { nextStudyStatus, type StudyCommand } from '../domain/study-lifecycle';
import type { CoordinatorMetrics } from '../telemetry/coordinator-metrics';
import type { GlobalModelsService } from '../models/global-models.service';
import type { StudyRepository } from '../studies/study.repository';
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

/**
 * Drives studies through rounds. Each public method is an event (from the lead's REST calls, a
 * site's socket or a deadline timer); it runs the pure `RoundMachine`, persists the new round and
 * its audit entry, does the machine's database effects (assigning participants, marking
 * stragglers), publishes the change to `RoundChanges` for everything outside the database, and
 * only then takes the follow-up steps (a retry, the next round, failing the study). Events of one
 * study are serialised. Which sites are here comes from `SitePresence`.
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
    private readonly audit: AuditLog,
    private readonly changes: RoundChanges,
    private readonly presence: SitePresence,
    private readonly metrics: CoordinatorMetrics,
    private readonly log: RoundsLog,
  ) {}

  /** Creates model version 0 and round 1 (waiting for a quorum of sites). */
  startStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const study = await this.command(studyId, 'start', actor);
      await this.globalModels.createInitial(study);
      return this.openRound(await this.studies.update(studyId, { currentRound: 1 }), 1);
    });
  }

  /** No new round starts while paused; the round in flight finishes. */
  pauseStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, () => this.command(studyId, 'pause', actor));
  }

  resumeStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const study = await this.command(studyId, 'resume', actor);
      const current = await this.rounds.find(studyId, study.currentRound);
      if (current?.state === 'waiting') {
        // It may have waited for the lead (no quorum after every try): its tries start again.
        await this.apply(study, current, { type: 'resumed' }, actor);
        return this.requireStudy(studyId);
      }
      return current?.state === 'completed' ? this.advance(study) : study;
    });
  }

  abortStudy(studyId: string, actor: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const study = await this.command(studyId, 'abort', actor);
      const current = await this.rounds.find(studyId, study.currentRound);
      if (current && current.state !== 'completed' && current.state !== 'failed') {
        await this.apply(study, current, { type: 'abort', reason: `study aborted by ${actor}` }, actor);
      }
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
      const recorded = await this.participants.recordUpload(studyId, roundNumber, siteId, update);
      this.metrics.uploads.inc();
      this.metrics.uploadBytes.inc(update.bytes);
      const after = await this.apply(study, round, { type: 'updateAccepted', siteId }, `site:${siteId}`);
      const waiting = all.filter((p) => p.siteId !== siteId && p.state === 'assigned');
      if (waiting.length === 0) await this.apply(study, after, { type: 'allUploaded' }, 'system');
      return recorded;
    });
  }

  /**
   * Crash recovery: a coordinator killed after persisting a round's completion but before opening
   * the next round left the study on a completed round; advance it now. Otherwise a no-op.
   */
  continueAfterRestart(studyId: string): Promise<Study> {
    return this.serial.run(studyId, async () => {
      const study = await this.requireStudy(studyId);
      const current = await this.rounds.find(studyId, study.currentRound);
      return current?.state === 'completed' ? this.advance(study) : study;
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
   * What screening decided per site is stored with the participants and audit-logged first.
   */
  aggregationDone(
    studyId: string,
    roundNumber: number,
    stored: StoredBlob,
    screening: ReadonlyMap<string, UpdateScreening> = new Map(),
  ): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const [study, round] = await this.studyAndRound(studyId, roundNumber);
      if (round.state === 'aggregating') await this.recordScreening(round, screening);
      if (round.state !== 'aggregating')
        return this.apply(study, round, { type: 'aggregationDone', modelVersion: roundNumber }, 'system');
      const model = await this.globalModels.registerAggregate(studyId, roundNumber, stored);
      return this.apply(study, round, { type: 'aggregationDone', modelVersion: model.version }, 'system');
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
      if (round.state === 'aggregating') await this.recordScreening(round, screening);
      return this.apply(study, round, { type: 'quorumLost', reason }, 'system');
    });
  }

  /** Stores each site's screening verdict and audit-logs it (`round.update_screened`). */
  private async recordScreening(
    round: Round,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<void> {
    if (screening.size === 0) return;
    await this.participants.recordScreening(round.studyId, round.number, screening);
    for (const [siteId, s] of screening) {
      await this.audit.append({
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

  async listRounds(studyId: string): Promise<Round[]> {
    await this.requireStudy(studyId);
    return this.rounds.list(studyId);
  }

  async getRound(
    studyId: string,
    roundNumber: number,
  ): Promise<{ round: Round; participants: Participant[] }> {
    const round = await this.requireRound(studyId, roundNumber);
    return { round, participants: await this.participants.list(studyId, roundNumber) };
  }

  private event(studyId: string, roundNumber: number, event: RoundEvent): Promise<Round> {
    return this.serial.run(studyId, async () => {
      const [study, round] = await this.studyAndRound(studyId, roundNumber);
      return this.apply(study, round, event, 'system');
    });
  }

  private async command(studyId: string, command: StudyCommand, actor: string): Promise<Study> {
    const study = await this.requireStudy(studyId);
    const status = nextStudyStatus(study.status, command);
    if (!status) {
      throw new DomainError(
        'STUDY_ILLEGAL_COMMAND',
        `cannot ${command} study ${studyId}: it is ${study.status}`,
        { status: study.status, command },
      );
    }
    const updated = await this.studies.update(studyId, { status });
    await this.audit.append({
      actor,
      action: `study.${command}`,
      subjectType: 'study',
      subjectId: studyId,
      details: { from: study.status, to: status },
    });
    return updated;
  }

  private async openRound(study: Study, number: number): Promise<Study> {
    const now = new Date();
    const deadline = new Date(now.getTime() + study.spec.round_deadline_s * 1000);
    const round = await this.rounds.create({
      studyId: study.id,
      number,
      state: 'waiting',
      attempt: 1,
      deadline,
      startedAt: now,
    });
    await this.audit.append({
      actor: 'system',
      action: 'round.opened',
      subjectType: 'round',
      subjectId: round.id,
      details: { studyId: study.id, number },
    });
    this.log.info({ studyId: study.id, roundId: round.id, number }, 'round opened');
    const effects = [{ type: 'scheduleDeadline', seconds: study.spec.round_deadline_s }] as const;
    await this.changes.publish({ study, round, from: null, event: 'opened', effects, uploads: [] });
    await this.tryQuorum(study);
    return study;
  }

  private async tryQuorum(study: Study): Promise<void> {
    if (study.status !== 'running') return;
    const round = await this.rounds.find(study.id, study.currentRound);
    const present = this.presence.present(study.spec.sites);
    if (round?.state === 'waiting' && present.length >= study.spec.min_sites) {
      await this.apply(study, round, { type: 'quorumReached', siteIds: present }, 'system');
    }
  }

  /**
   * Runs one machine step: persist round + audit, the database effects, publish the change, then the
   * follow-up steps.
   */
  private async apply(study: Study, round: Round, event: RoundEvent, actor: string): Promise<Round> {
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
    const next = await this.rounds.update(round.id, {
      state: t.round.state,
      attempt: t.round.attempt,
      ...(schedule ? { deadline: new Date(now.getTime() + schedule.seconds * 1000) } : {}),
      // A round that waits for its lead waits on no deadline: nothing fires until the lead resumes.
      ...(t.effects.some((e) => e.type === 'awaitLead') ? { deadline: null } : {}),
      ...(terminal ? { endedAt: now } : {}),
    });
    if (next.state !== round.state || next.attempt !== round.attempt) {
      await this.audit.append({
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
    for (const effect of t.effects) await this.before(effect, study, next);
    const uploads = t.effects.some((e) => e.type === 'aggregate')
      ? (await this.participants.list(study.id, round.number)).filter((p) => p.state === 'uploaded')
      : [];
    await this.changes.publish({
      study,
      round: next,
      from: round.state,
      event: event.type,
      effects: t.effects,
      uploads,
    });
    for (const effect of t.effects) await this.after(effect, study, next);
    return next;
  }

  /** The database side of an effect, done before the change is published. */
  private async before(effect: RoundEffect, study: Study, round: Round): Promise<void> {
    switch (effect.type) {
      case 'sendTrainingTasks':
        // Rows first: a site told to train must find its task when it uploads.
        return this.participants.assign(study.id, round.number, effect.siteIds);
      case 'markStragglers': {
        const stragglers = await this.participants.markStragglers(study.id, round.number);
        await this.audit.append({
          actor: 'system',
          action: 'round.stragglers',
          subjectType: 'round',
          subjectId: round.id,
          details: { siteIds: stragglers },
        });
        return;
      }
      case 'reopenRound':
        return this.participants.reopen(study.id, round.number);
      case 'awaitLead':
      case 'persistRound': // done by apply() before any effect
      case 'scheduleDeadline': // RoundTimers
      case 'aggregate': // AggregationRunner
      case 'sendEvaluationTasks': // TaskDispatch
      case 'retryRound':
      case 'roundCompleted':
      case 'roundFailed':
        return;
      default:
        return assertUnreachable(effect);
    }
  }

  /** The follow-up steps of an effect, taken once the change is published. */
  private async after(effect: RoundEffect, study: Study, round: Round): Promise<void> {
    switch (effect.type) {
      case 'retryRound':
        return this.tryQuorum(study);
      case 'roundCompleted':
        this.metrics.roundDuration.observe((Date.now() - round.startedAt.getTime()) / 1000);
        await this.advance(await this.requireStudy(study.id));
        return;
      case 'roundFailed': {
        const current = await this.requireStudy(study.id);
        if (nextStudyStatus(current.status, 'fail')) await this.command(study.id, 'fail', 'system');
        return;
      }
      case 'awaitLead': {
        // The study waits for its lead, who sees why (the audit entry, the dashboard) and resumes
        // (after revoking a bad site, say) or aborts: lost quorum never fails a study by itself.
        const current = await this.requireStudy(study.id);
        if (!nextStudyStatus(current.status, 'pause')) return;
        await this.command(study.id, 'pause', 'system');
        await this.audit.append({
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

  /** After a completed round: the next round, or completion after the last one. */
  private async advance(study: Study): Promise<Study> {
    if (study.status !== 'running') return study;
    if (study.currentRound >= study.spec.rounds) return this.command(study.id, 'complete', 'system');
    const next = study.currentRound + 1;
    return this.openRound(await this.studies.update(study.id, { currentRound: next }), next);
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
