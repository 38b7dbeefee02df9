import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { closeMaskRemovalHelpers } from '@fedaln/secagg';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { AggregationRunner } from './aggregation/aggregation-runner';
import { RoundAggregator } from './aggregation/round-aggregator';
import { StudyRoundPlans } from './aggregation/round-plan';
import { AuditController } from './audit/audit.controller';
import { AuditLog } from './audit/audit-log';
import { Transactions } from './domain/transactions';
import { AdminAuthService } from './auth/admin-auth.service';
import { AdminOrSiteGuard } from './auth/admin-or-site.guard';
import { AdminGuard } from './auth/admin.guard';
import { BearerAuth } from './auth/bearer-auth';
import { SiteAuthService } from './auth/site-auth.service';
import { SiteStanding } from './auth/site-standing';
import { BlobCache } from './blobs/blob-cache';
import { BlobReferences } from './blobs/blob-references';
import { BlobRetention } from './blobs/blob-retention';
import { BlobStore } from './blobs/blob-store';
import { ModelDownloads } from './blobs/model-downloads';
import { AppConfig } from './config/app-config';
import { FeatureBaselines } from './evaluation/feature-baselines';
import { FeatureModelStore } from './evaluation/feature-model';
import { NomogramFits, NomogramStore } from './evaluation/nomogram-fits';
import { PostTrainingResume } from './evaluation/post-training-resume';
import { FileMetricsReportStore, MetricsReportStore } from './evaluation/metrics-report-store';
import { MetricsIntake } from './evaluation/metrics-intake';
import { RoundEvaluationService } from './evaluation/round-evaluation.service';
import { RoundMetricsController } from './evaluation/round-metrics.controller';
import { GlobalModelRepository } from './models/global-model.repository';
import { GlobalModelsService } from './models/global-models.service';
import { InitialModelFactory } from './models/initial-model.factory';
import { ModelsController } from './models/models.controller';
import { PersistenceModule } from './persistence/persistence.module';
import { factory } from './provide';
import { KeysController } from './releases/keys.controller';
import { ReleaseArtifacts } from './releases/release-artifacts';
import { ReleaseRepository, VerdictRepository } from './releases/release.repository';
import { ReleasesController, StudyReleasesController } from './releases/releases.controller';
import { ReleasesService } from './releases/releases.service';
import { ReleaseSigner } from './releases/signing';
import { ParticipantRepository } from './rounds/participant.repository';
import { LocalRoundChanges, RoundChanges } from './rounds/round-changes';
import { RoundRecovery } from './rounds/round-recovery';
import { RoundTimers } from './rounds/round-timers';
import { RoundRepository } from './rounds/round.repository';
import { RoundsController } from './rounds/rounds.controller';
import { RoundsService } from './rounds/rounds.service';
import { SiteArrivals } from './rounds/site-arrivals';
import { SitePresence } from './rounds/site-presence';
import { TaskDispatch } from './rounds/task-dispatch';
import { TrainingProgressRelay } from './rounds/training-progress';
import { LiveSiteSessions, NoLiveSiteSessions } from './sites/live-site-sessions';
import { SiteRepository } from './sites/site.repository';
import { SitesController } from './sites/sites.controller';
import { SitesService } from './sites/sites.service';
import { MonitorGateway } from './sockets/monitor.gateway';
import { SiteGateway } from './sockets/site.gateway';
import { StudiesController } from './studies/studies.controller';
import { StudiesService } from './studies/studies.service';
import { StudyRepository } from './studies/study.repository';
import { CoordinatorMetrics } from './telemetry/coordinator-metrics';
import { HealthController } from './telemetry/health.controller';
import { APP_LOGGER, type AppLogger } from './telemetry/logger';
import { MetricsController } from './telemetry/metrics.controller';
import { MonitorFeed } from './telemetry/monitor-feed';
import { UploadIntake } from './uploads/upload-intake';
import { SecureAggregationService } from './secure-aggregation/secure-aggregation.service';

export interface CoordinatorParts {
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly logger: AppLogger;
  readonly initialModels: InitialModelFactory;
  /** Initialised by the caller before the app starts (it may print a fresh token). */
  readonly adminAuth: AdminAuthService;
}

/** Enrolling sites and creating studies: what `serve` and the `site`/`study` commands share. */
const enrolment = [
  factory(
    SitesService,
    [SiteRepository, Transactions, LiveSiteSessions],
    (s, t, l) => new SitesService(s, t, l),
  ),
  factory(
    StudiesService,
    [StudyRepository, SiteRepository, AuditLog, Transactions],
    (st, s, a, t) => new StudiesService(st, s, a, t),
  ),
];

/**
 * Every object the running coordinator has, made here and nowhere else (the composition root). Plain
 * services are provided by factories (they stay framework-free, usable by tests on their own);
 * ports — abstract classes — are their own tokens. Round changes reach their listeners through
 * `RoundChanges`, subscribed in `onModuleInit` in the order they must act: the verdict is recorded,
 * tasks are sent, deadlines armed, aggregation started, the dashboard told, and after a study's last
 * round the post-training fits started.
 */
@Module({})
export class AppModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RoundChanges) private readonly changes: RoundChanges,
    @Inject(RoundEvaluationService) private readonly evaluation: RoundEvaluationService,
    @Inject(NomogramFits) private readonly nomogramFits: NomogramFits,
    @Inject(TaskDispatch) private readonly dispatch: TaskDispatch,
    @Inject(RoundTimers) private readonly timers: RoundTimers,
    @Inject(AggregationRunner) private readonly aggregation: AggregationRunner,
    @Inject(MonitorGateway) private readonly monitor: MonitorGateway,
    @Inject(RoundRecovery) private readonly recovery: RoundRecovery,
    @Inject(UploadIntake) private readonly uploads: UploadIntake,
    @Inject(SecureAggregationService) private readonly secure: SecureAggregationService,
    @Inject(BlobRetention) private readonly retention: BlobRetention,
    @Inject(PostTrainingResume) private readonly postTraining: PostTrainingResume,
    @Inject(StudyRepository) private readonly studies: StudyRepository,
  ) {}

  static forRoot(parts: CoordinatorParts): DynamicModule {
    const { config, logger } = parts;
    const metricsDir = path.join(config.dataDir, 'metrics');
    return {
      module: AppModule,
      imports: [PersistenceModule.forRoot(parts.dataSource, config.blobDir)],
      controllers: [
        SitesController,
        StudiesController,
        RoundsController,
        ModelsController,
        HealthController,
        MetricsController,
        RoundMetricsController,
        StudyReleasesController,
        ReleasesController,
        KeysController,
        AuditController,
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: APP_LOGGER, useValue: logger },
        { provide: InitialModelFactory, useValue: parts.initialModels },
        { provide: AdminAuthService, useValue: parts.adminAuth },
        AdminGuard,
        AdminOrSiteGuard,
        ...enrolment,
        factory(SiteAuthService, [SiteRepository], (s) => new SiteAuthService(s)),
        factory(
          BearerAuth,
          [AdminAuthService, SiteAuthService],
          (a, s) => new BearerAuth(a, s, { trustedProxies: config.trustedProxies }),
        ),
        factory(SiteStanding, [SiteRepository], (s) => new SiteStanding(s)),
        factory(CoordinatorMetrics, [RoundRepository], (r) => new CoordinatorMetrics(r)),
        factory(
          GlobalModelsService,
          [GlobalModelRepository, BlobStore, InitialModelFactory, StudyRepository],
          (m, b, f, st) => new GlobalModelsService(m, b, f, st),
        ),
        // rounds/
        { provide: RoundChanges, useClass: LocalRoundChanges },
        { provide: SitePresence, useValue: new SitePresence() },
        factory(
          RoundsService,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            GlobalModelsService,
            Transactions,
            RoundChanges,
            SitePresence,
            CoordinatorMetrics,
          ],
          (st, r, p, g, t, c, pr, m) => new RoundsService(st, r, p, g, t, c, pr, m, logger),
        ),
        factory(RoundTimers, [RoundsService], (r) => new RoundTimers(r, logger)),
        factory(
          TaskDispatch,
          [
            GlobalModelRepository,
            ParticipantRepository,
            MetricsReportStore,
            FeatureBaselines,
            SitePresence,
            SecureAggregationService,
          ],
          (m, p, r, f, pr, s) => new TaskDispatch(m, p, r, f, pr, s),
        ),
        factory(
          SiteArrivals,
          [
            StudyRepository,
            RoundRepository,
            RoundsService,
            TaskDispatch,
            SitePresence,
            ModelDownloads,
            Transactions,
            MonitorFeed,
            SiteRepository,
          ],
          (st, r, s, d, p, dl, t, m, sites) => new SiteArrivals(st, r, s, d, p, dl, t, m, sites),
        ),
        factory(
          TrainingProgressRelay,
          [StudyRepository, RoundRepository, MonitorFeed, CoordinatorMetrics],
          (st, r, m, metrics) => new TrainingProgressRelay(st, r, m, metrics),
        ),
        factory(
          RoundRecovery,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            RoundsService,
            RoundTimers,
            RoundAggregator,
            AggregationRunner,
          ],
          (st, r, p, s, t, a, run) => new RoundRecovery(st, r, p, s, t, a, run, logger),
        ),
        // blobs/, uploads/, aggregation/
        factory(BlobCache, [BlobStore], (b) => new BlobCache(b)),
        factory(BlobRetention, [BlobStore, BlobReferences], (b, r) => new BlobRetention(b, r, logger)),
        factory(
          ModelDownloads,
          [StudyRepository, RoundRepository, GlobalModelRepository, BlobCache],
          (st, r, m, c) => new ModelDownloads(st, r, m, c),
        ),
        factory(
          RoundAggregator,
          [BlobStore, BlobCache, GlobalModelRepository, StudyRepository, SecureAggregationService],
          (b, c, m, st, s) => new RoundAggregator(b, c, m, logger, new StudyRoundPlans(st), s),
        ),
        // secure-aggregation/
        factory(
          SecureAggregationService,
          [SitePresence, SiteRepository, GlobalModelRepository, BlobCache, BlobStore],
          (p, s, m, c, b) => new SecureAggregationService(p, s, m, c, b, logger),
        ),
        factory(
          AggregationRunner,
          [RoundAggregator, RoundsService],
          (a, r) => new AggregationRunner(a, r, logger, config.testAggregationDelayMs),
        ),
        factory(
          UploadIntake,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            SiteRepository,
            BlobStore,
            RoundAggregator,
            RoundsService,
            AuditLog,
            MonitorFeed,
            SecureAggregationService,
          ],
          (studies, rounds, participants, sites, blobs, aggregator, service, audit, monitor, masked) =>
            new UploadIntake({
              studies,
              rounds,
              participants,
              sites,
              blobs,
              aggregator,
              service,
              audit,
              monitor,
              masked,
              spoolDir: path.join(config.dataDir, 'uploads'),
            }),
        ),
        // evaluation/
        { provide: MetricsReportStore, useValue: new FileMetricsReportStore(metricsDir) },
        { provide: FeatureModelStore, useValue: new FeatureModelStore(metricsDir) },
        { provide: NomogramStore, useValue: new NomogramStore(metricsDir) },
        factory(
          NomogramFits,
          [RoundEvaluationService, GlobalModelRepository, SitePresence, NomogramStore, FeatureModelStore],
          (e, m, p, s, f) => new NomogramFits(e, m, p, s, f, logger),
        ),
        factory(
          PostTrainingResume,
          [NomogramFits, NomogramStore, SitePresence],
          (f, s, p) => new PostTrainingResume(f, s, p, logger),
        ),
        factory(
          FeatureBaselines,
          [FeatureModelStore, SitePresence, AuditLog],
          (s, p, a) => new FeatureBaselines(s, p, logger, a),
        ),
        factory(
          MetricsIntake,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            GlobalModelRepository,
            MetricsReportStore,
            RoundsService,
            MonitorFeed,
            SiteRepository,
            AuditLog,
          ],
          (st, r, p, m, rep, s, mon, sites, a) => new MetricsIntake(st, r, p, m, rep, s, mon, sites, a),
        ),
        factory(
          RoundEvaluationService,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            SiteRepository,
            MetricsReportStore,
            VerdictRepository,
            Transactions,
            FeatureModelStore,
          ],
          (st, r, p, s, m, v, t, f) => new RoundEvaluationService(st, r, p, s, m, v, t, logger, f),
        ),
        // releases/
        { provide: ReleaseSigner, useValue: ReleaseSigner.loadOrCreate(config.dataDir) },
        factory(
          ReleaseArtifacts,
          [BlobStore],
          (b) => new ReleaseArtifacts(path.join(config.dataDir, 'releases'), b),
        ),
        factory(
          ReleasesService,
          [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            GlobalModelRepository,
            BlobStore,
            ReleaseRepository,
            RoundEvaluationService,
            ReleaseSigner,
            ReleaseArtifacts,
            AuditLog,
            FeatureModelStore,
            Transactions,
            NomogramStore,
          ],
          (
            studies,
            rounds,
            participants,
            models,
            blobs,
            releases,
            evaluation,
            signer,
            artifacts,
            audit,
            featureModels,
            transactions,
            nomograms,
          ) =>
            new ReleasesService({
              studies,
              rounds,
              participants,
              models,
              blobs,
              releases,
              evaluation,
              signer,
              artifacts,
              audit,
              featureModels,
              transactions,
              nomograms,
            }),
        ),
        // sockets/: gateways are class providers, so Nest finds their filters and pipes.
        SiteGateway,
        MonitorGateway,
        { provide: MonitorFeed, useExisting: MonitorGateway },
        { provide: LiveSiteSessions, useExisting: SiteGateway },
      ],
    };
  }

  onModuleInit(): void {
    this.changes.subscribe((c) => this.evaluation.onChange(c));
    this.changes.subscribe((c) => this.secure.onChange(c)); // a session before the tasks that carry it
    this.changes.subscribe((c) => this.dispatch.onChange(c));
    this.changes.subscribe((c) => this.timers.onChange(c));
    this.changes.subscribe((c) => this.aggregation.onChange(c));
    this.changes.subscribe((c) => this.monitor.onChange(c));
    this.changes.subscribe((c) => this.uploads.onChange(c));
    this.changes.subscribe((c) => this.retention.onChange(c));
    // After the verdict: the last round's completion starts the post-training fits (issue 15).
    this.changes.subscribe((c) => this.nomogramFits.onChange(c));
  }

  /**
   * Before the server accepts connections: sweeps the blob store (a crash's temporaries and
   * unreferenced blobs; first, while nothing writes: recovery may restart an aggregation), rebuilds
   * the rounds in flight, then drops the spools of rounds that are over, and marks the post-training
   * fits a restart cut short to run again when their sites are back.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.retention.atBoot();
    await this.recovery.recover();
    await this.uploads.removeStaleSpools();
    // After recovery (it may complete a study): post-training fits a restart cut short run again.
    await this.postTraining.atBoot(await this.studies.list());
  }

  async onApplicationShutdown(): Promise<void> {
    this.timers.stop();
    this.postTraining.stop();
    // The secure-aggregation unmasking's helper threads, kept warm across rounds (they never keep the process alive).
    await closeMaskRemovalHelpers();
  }
}

/**
 * The `site` and `study` commands of the CLI: the same enrolment services over the same
 * persistence, without the running coordinator's rounds, sockets and recovery.
 */
@Module({})
export class EnrolmentModule {
  static forRoot(dataSource: DataSource, blobDir: string): DynamicModule {
    return {
      module: EnrolmentModule,
      imports: [PersistenceModule.forRoot(dataSource, blobDir)],
      providers: [...enrolment, { provide: LiveSiteSessions, useValue: new NoLiveSiteSessions() }],
      exports: [SitesService, StudiesService],
    };
  }
}
