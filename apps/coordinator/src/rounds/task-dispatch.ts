import type { SecureAggregationTask, TaskPayload } from '@fedaln/protocol';
import type { Round, Study } from '../domain/records';
import { minCellCountOf, siteStrategyOf, validationFractionOf } from '../domain/study-spec';
import { dpTrainingOf } from '../domain/study-privacy-budget';
import type { FeatureBaselines } from '../evaluation/feature-baselines';
import type { MetricsReportStore } from '../evaluation/metrics-report-store';
import type { GlobalModelRepository } from '../models/global-model.repository';
import type { ParticipantRepository } from './participant.repository';
import { effectOf, type RoundChange } from './round-changes';
import type { SitePresence, SiteSession } from './site-presence';

/** Where a train task of a secure-aggregation study finds its site's session (`SecureAggregationService`). */
export interface SecureTasks {
  taskFor(studyId: string, round: number, siteId: string): SecureAggregationTask | null;
}

/**
 * Tells sites what to do in a round: on a published change it sends `train` tasks to the sites the
 * machine picked and, after aggregation, `evaluate` tasks to the sites that uploaded (fitting the
 * study's four-feature baseline first); a site that says hello mid-round is sent the task it still
 * owes, unless that socket already has the identical task (a site repeating hello is not sent it
 * again). Sites not connected get theirs when they say hello.
 *
 * @example
 * changes.subscribe((c) => dispatch.onChange(c));
 * await dispatch.resend(session, study, round); // at hello
 */
export class TaskDispatch {
  /** Per session (one socket), the last task sent for each study, as sent (JSON). */
  private readonly sent = new WeakMap<SiteSession, Map<string, string>>();

  constructor(
    private readonly models: GlobalModelRepository,
    private readonly participants: ParticipantRepository,
    private readonly reports: MetricsReportStore,
    private readonly baselines: FeatureBaselines,
    private readonly presence: SitePresence,
    private readonly secure: SecureTasks | null = null,
  ) {}

  async onChange(change: RoundChange): Promise<void> {
    const { study, round } = change;
    const training = effectOf(change, 'sendTrainingTasks');
    if (training) {
      const task = await this.task(study, round, 'train');
      for (const siteId of training.siteIds) {
        const mine = this.trainTaskOf(study, task, siteId);
        if (mine) this.deliver(this.presence.get(siteId), mine);
      }
    }
    if (effectOf(change, 'sendEvaluationTasks')) {
      const uploaded = (await this.participants.list(study.id, round.number))
        .filter((p) => p.state === 'uploaded')
        .map((p) => p.siteId);
      await this.baselines.ensure(study.id, uploaded);
      const task = await this.task(study, round, 'evaluate');
      for (const siteId of uploaded) this.deliver(this.presence.get(siteId), task);
    }
  }

  /** The task `session`'s site still owes in `round` (a site reconnecting mid-round), if any. */
  async resend(session: SiteSession, study: Study, round: Round): Promise<void> {
    const mine = (await this.participants.list(study.id, round.number)).find(
      (p) => p.siteId === session.siteId,
    );
    if (round.state === 'training' && mine?.state === 'assigned') {
      const task = this.trainTaskOf(study, await this.task(study, round, 'train'), session.siteId);
      if (task) this.deliver(session, task, { unlessSent: true });
    } else if (round.state === 'evaluating' && mine?.state === 'uploaded') {
      const reported = await this.reports.list(study.id, round.number);
      if (!reported.some((r) => r.siteId === session.siteId)) {
        this.deliver(session, await this.task(study, round, 'evaluate'), { unlessSent: true });
      }
    }
  }

  /**
   * A site's own train task: under secure aggregation it carries the site's session (number,
   * threshold, round tag, the weight it masks with); a site not in the session gets none (it could
   * only upload in the clear, which such a study never takes).
   */
  private trainTaskOf(study: Study, task: TaskPayload, siteId: string): TaskPayload | null {
    if (!study.spec.secure_aggregation) return task;
    const session = this.secure?.taskFor(study.id, task.round, siteId) ?? null;
    return session ? { ...task, secure_aggregation: session } : null;
  }

  /** Sends `task` on `session` and remembers it; with `unlessSent`, not if that socket has it already. */
  private deliver(session: SiteSession | undefined, task: TaskPayload, o = { unlessSent: false }): void {
    if (!session) return;
    const json = JSON.stringify(task);
    let sent = this.sent.get(session);
    if (!sent) this.sent.set(session, (sent = new Map()));
    if (o.unlessSent && sent.get(task.study_id) === json) return;
    sent.set(task.study_id, json);
    session.send(task);
  }

  /**
   * The task a site should be working on in `round` ('train' from version r − 1, 'evaluate' of
   * version r), with the model's hash and size so the site can fetch and check it.
   */
  async task(study: Study, round: Round, kind: TaskPayload['kind']): Promise<TaskPayload> {
    const version = kind === 'train' ? round.number - 1 : round.number;
    const model = await this.models.find(study.id, version);
    const featureModel = kind === 'evaluate' ? await this.baselines.find(study.id) : null;
    const dp = dpTrainingOf(study.spec);
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
      ...(kind === 'evaluate' ? { min_cell_count: minCellCountOf(study.spec) } : {}),
      ...(kind === 'train' && dp ? { dp } : {}),
      ...siteStrategyOf(study.spec),
      // Absent for a study without a validation split, so its tasks are those of before issue 15.
      ...(validationFractionOf(study.spec) > 0
        ? { validation_fraction: validationFractionOf(study.spec) }
        : {}),
    };
  }
}
