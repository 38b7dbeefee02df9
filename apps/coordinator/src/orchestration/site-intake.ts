import {
  type DownloadBeginAccepted,
  type DownloadBeginPayload,
  type DownloadFrameAccepted,
  type DownloadFramePayload,
  type HelloAccepted,
  type HelloPayload,
  type MetricsReportPayload,
  type TrainProgressPayload,
} from '@fedaln/protocol';
import type { AuditLog } from '../audit/audit-log';
import type { BlobStore } from '../blobs/blob-store';
import type { Round, Study } from '../domain/records';
import { SocketRefusal } from '../gateway/socket-error';
import type { GlobalModelRepository } from '../models/global-model.repository';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { StudyRepository } from '../studies/study.repository';
import type { BlobCache } from '../transfer/blob-cache';
import { ModelDownloads } from '../transfer/model-downloads';
import { currentRound } from './current-round';
import type { MetricsReportStore } from './metrics-report-store';
import type { MonitorFeed } from './monitor-feed';
import type { RoundAggregator } from './round-aggregator';
import type { RoundOrchestrator } from './round-orchestrator';
import type { SiteSession } from './site-sessions';

export const SERVER_VERSION = '0.1.0';

export interface SiteIntakeDeps {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly participants: ParticipantRepository;
  readonly models: GlobalModelRepository;
  readonly blobs: BlobStore;
  readonly cache: BlobCache;
  readonly aggregator: RoundAggregator;
  readonly orchestrator: RoundOrchestrator;
  readonly reports: MetricsReportStore;
  readonly audit: AuditLog;
  readonly monitor: MonitorFeed;
  /** `<data-dir>/uploads`: partial uploads, kept across restarts. */
  readonly spoolDir: string;
}

/**
 * What a site may do on `/site` besides uploading (`UploadIntake`), each method one event. It checks that a site acts only as itself
 * (ids come from the authenticated socket, never the payload) and only in its current round, then
 * hands accepted work to `RoundsService` and the aggregator. Throws `SocketRefusal`, `DomainError`,
 * `UpdateRejected` or `BlobFormatError`; the gateway maps them to acks.
 */
export class SiteIntake {
  private readonly downloads: ModelDownloads;

  constructor(private readonly deps: SiteIntakeDeps) {
    this.downloads = new ModelDownloads(deps);
  }

  async hello(session: SiteSession, hello: HelloPayload): Promise<HelloAccepted> {
    const { siteId } = session;
    session.hello = hello;
    await this.deps.audit.append({
      actor: `site:${siteId}`,
      action: 'site.hello',
      subjectType: 'site',
      subjectId: siteId,
      details: { ...hello },
    });
    this.deps.monitor.siteStatus({
      site_id: siteId,
      connected: true,
      engine: hello.engine,
      images_per_s: hello.images_per_s,
    });
    const service = this.deps.orchestrator.roundsService;
    for (const study of await this.deps.studies.list()) {
      if (study.status !== 'running' || !study.spec.sites.includes(siteId)) continue;
      const before = await this.deps.rounds.find(study.id, study.currentRound);
      await service.siteJoined(study.id, siteId);
      if (before && before.state !== 'waiting') await this.resendTask(session, study, before);
    }
    return { site_id: siteId, server_version: SERVER_VERSION };
  }

  left(session: SiteSession, studies: readonly Study[]): void {
    for (const s of studies) this.deps.orchestrator.roundsService.siteLeft(s.id, session.siteId);
    this.downloads.forget(session.siteId);
    this.deps.monitor.siteStatus({ site_id: session.siteId, connected: false });
  }

  downloadBegin(siteId: string, req: DownloadBeginPayload): Promise<DownloadBeginAccepted> {
    return this.downloads.begin(siteId, req);
  }

  downloadFrame(siteId: string, req: DownloadFramePayload): DownloadFrameAccepted {
    return this.downloads.frame(siteId, req);
  }

  /** Relays a site's training progress to the dashboard, only for its current round while it trains. */
  async trainProgress(siteId: string, p: TrainProgressPayload): Promise<void> {
    const { study, round } = await currentRound(this.deps, siteId, p.study_id, p.round);
    if (round.state !== 'training') {
      throw new SocketRefusal('wrong_round', `round ${round.number} is ${round.state}, not training`);
    }
    if (p.epoch > p.epochs || p.batch > p.batches) {
      throw new SocketRefusal(
        'bad_request',
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}: a count exceeds its total`,
      );
    }
    this.deps.monitor.trainingProgress({ ...p, study_id: study.id, round: round.number, site_id: siteId });
  }

  async metricsReport(siteId: string, payload: MetricsReportPayload): Promise<void> {
    const { study, round } = await currentRound(this.deps, siteId, payload.study_id, payload.round);
    if (round.state !== 'evaluating') {
      throw new SocketRefusal('wrong_round', `round ${round.number} is ${round.state}, not evaluating`);
    }
    const model = await this.deps.models.find(study.id, round.number);
    if (payload.model_version !== round.number || model?.sha256 !== payload.model_sha256) {
      throw new SocketRefusal(
        'bad_request',
        `round ${round.number} evaluates model version ${round.number} (${model?.sha256})`,
      );
    }
    const { report } = payload;
    await this.deps.aggregator.serial.run(study.id, async () => {
      await this.deps.reports.save({
        studyId: study.id,
        round: round.number,
        siteId,
        modelVersion: payload.model_version,
        modelSha256: payload.model_sha256,
        receivedAt: new Date().toISOString(),
        report,
      });
      this.deps.monitor.metricsReceived({
        study_id: study.id,
        round: round.number,
        site_id: siteId,
        n: report.n,
        auc: report.auc ?? NaN,
      });
      const reported = new Set((await this.deps.reports.list(study.id, round.number)).map((r) => r.siteId));
      const expected = (await this.deps.participants.list(study.id, round.number)).filter(
        (p) => p.state === 'uploaded',
      );
      const current = await this.deps.rounds.find(study.id, round.number);
      if (current?.state === 'evaluating' && expected.every((p) => reported.has(p.siteId))) {
        const after = await this.deps.orchestrator.roundsService.evaluationDone(study.id, round.number);
        this.deps.orchestrator.announce(after, after.state);
      }
    });
  }

  private async resendTask(session: SiteSession, study: Study, round: Round): Promise<void> {
    const mine = (await this.deps.participants.list(study.id, round.number)).find(
      (p) => p.siteId === session.siteId,
    );
    if (round.state === 'training' && mine?.state === 'assigned') {
      session.send(await this.deps.orchestrator.task(study, round, 'train'));
    } else if (round.state === 'evaluating' && mine?.state === 'uploaded') {
      const reported = await this.deps.reports.list(study.id, round.number);
      if (!reported.some((r) => r.siteId === session.siteId)) {
        session.send(await this.deps.orchestrator.task(study, round, 'evaluate'));
      }
    }
  }
}
