import { SOCKET_MAX_BUFFER_BYTES } from '@fedaln/protocol';
import type { INestApplication } from '@nestjs/common';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import { AuditLog } from '../audit/audit-log';
import { AdminAuthService } from '../auth/admin-auth.service';
import { SiteAuthService } from '../auth/site-auth.service';
import { BlobStore } from '../blobs/blob-store';
import { ConfigError, type AppConfig } from '../config/app-config';
import { attachSiteGateway, type SiteServer } from '../gateway/site-gateway';
import { GlobalModelRepository } from '../models/global-model.repository';
import { SocketMonitorFeed } from '../monitor/monitor-gateway';
import { ParticipantRepository } from '../rounds/participant.repository';
import { RoundRepository } from '../rounds/round.repository';
import { RoundEvaluationService } from '../releases/round-evaluation.service';
import { RoundsService } from '../rounds/rounds.service';
import { SiteRepository } from '../sites/site.repository';
import { StudyRepository } from '../studies/study.repository';
import { BlobCache } from '../transfer/blob-cache';
import { FeatureModelStore } from './feature-model';
import { FileMetricsReportStore } from './metrics-report-store';
import { RoundAggregator } from './round-aggregator';
import { RoundOrchestrator } from './round-orchestrator';
import { SiteIntake } from './site-intake';
import { SiteSessions } from './site-sessions';
import { UploadIntake } from './upload-intake';

/**
 * Test hook: `FEDALN_TEST_AGGREGATION_DELAY_MS` pauses every aggregation after "aggregation
 * started" is logged, so the e2e suite can SIGKILL the coordinator mid-aggregation.
 */
export function aggregationDelayMs(env: NodeJS.ProcessEnv): number {
  const raw = env.FEDALN_TEST_AGGREGATION_DELAY_MS;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw))
    throw new ConfigError('FEDALN_TEST_AGGREGATION_DELAY_MS', raw, 'milliseconds (an integer)');
  return Number(raw);
}

/**
 * Live rounds for `serve`: the socket.io server on the app's HTTP server (`/site`, `/monitor`),
 * the orchestrator (the app's RoundDispatcher), the aggregator, and crash recovery at start.
 *
 * @example
 * const live = new LiveRounds(config, log);
 * const app = await NestFactory.create(AppModule.forRoot({ ..., dispatcher: live.dispatcher }));
 * await app.listen(port);
 * await live.start(app);
 */
export class LiveRounds {
  readonly dispatcher = new RoundOrchestrator();
  private io: SiteServer | null = null;
  private readonly delayMs: number;

  constructor(
    private readonly config: AppConfig,
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.delayMs = aggregationDelayMs(env);
  }

  async start(app: INestApplication): Promise<void> {
    const get = <T>(token: abstract new (...args: never[]) => T): T =>
      app.get(token as never, { strict: false });
    const blobs = get(BlobStore);
    const models = get(GlobalModelRepository);
    const cache = new BlobCache(blobs);
    const aggregator = new RoundAggregator(blobs, cache, models, this.log);
    const sessions = new SiteSessions();
    const io: SiteServer = new Server(app.getHttpServer(), {
      maxHttpBufferSize: SOCKET_MAX_BUFFER_BYTES,
      perMessageDeflate: false,
    });
    this.io = io;
    const monitor = new SocketMonitorFeed(io as unknown as Server, get(AdminAuthService));
    const common = {
      studies: get(StudyRepository),
      rounds: get(RoundRepository),
      participants: get(ParticipantRepository),
      models,
      aggregator,
      monitor,
    };
    this.dispatcher.bind(
      {
        ...common,
        sessions,
        log: this.log,
        aggregationDelayMs: this.delayMs,
        completions: get(RoundEvaluationService),
        featureModels: new FeatureModelStore(path.join(this.config.dataDir, 'metrics')),
      },
      get(RoundsService),
    );
    const intakeDeps = {
      ...common,
      blobs,
      cache,
      orchestrator: this.dispatcher,
      reports: new FileMetricsReportStore(path.join(this.config.dataDir, 'metrics')),
      audit: get(AuditLog),
      spoolDir: path.join(this.config.dataDir, 'uploads'),
    };
    const intake = new SiteIntake(intakeDeps);
    attachSiteGateway(io, {
      siteAuth: get(SiteAuthService),
      sites: get(SiteRepository),
      studies: common.studies,
      intake,
      uploads: new UploadIntake(intakeDeps),
      sessions,
      log: this.log,
    });
    await this.dispatcher.recover();
  }

  async stop(): Promise<void> {
    this.dispatcher.stop();
    await new Promise<void>((resolve) => (this.io ? this.io.close(() => resolve()) : resolve()));
  }
}
