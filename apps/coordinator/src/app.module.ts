import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AuditLog } from './audit/audit-log';
import { AdminAuthService } from './auth/admin-auth.service';
import { AdminOrSiteGuard } from './auth/admin-or-site.guard';
import { AdminGuard } from './auth/admin.guard';
import { SiteAuthService } from './auth/site-auth.service';
import { BlobStore } from './blobs/blob-store';
import { AppConfig } from './config/app-config';
import { HealthController } from './health/health.controller';
import { CoordinatorMetrics } from './metrics/coordinator-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { GlobalModelRepository } from './models/global-model.repository';
import { GlobalModelsService } from './models/global-models.service';
import { InitialModelFactory } from './models/initial-model.factory';
import { ModelsController } from './models/models.controller';
import { PersistenceModule } from './persistence/persistence.module';
import { RELEASE_CONTROLLERS, releaseProviders } from './releases/release-providers';
import { ParticipantRepository } from './rounds/participant.repository';
import { RoundDispatcher } from './rounds/round-dispatcher';
import { RoundRepository } from './rounds/round.repository';
import { RoundsController } from './rounds/rounds.controller';
import { RoundsService } from './rounds/rounds.service';
import { RoundEvaluationService } from './releases/round-evaluation.service';
import { SiteRepository } from './sites/site.repository';
import { SitesController } from './sites/sites.controller';
import { SitesService } from './sites/sites.service';
import { StudiesController } from './studies/studies.controller';
import { StudiesService } from './studies/studies.service';
import { StudyRepository } from './studies/study.repository';

export interface CoordinatorParts {
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  readonly initialModels: InitialModelFactory;
  /** The socket gateway replaces this; see `LoggingRoundDispatcher`. */
  readonly dispatcher: RoundDispatcher;
  /** Initialised by the caller before the app starts (it may print a fresh token). */
  readonly adminAuth: AdminAuthService;
}

/**
 * Services are plain classes (framework-free, usable by the CLI and tests), so they are provided by
 * factories; the abstract-class ports are the injection tokens.
 */
@Module({})
export class AppModule {
  static forRoot(parts: CoordinatorParts): DynamicModule {
    return {
      module: AppModule,
      imports: [PersistenceModule.forRoot(parts.dataSource, parts.config.blobDir)],
      controllers: [
        SitesController,
        StudiesController,
        RoundsController,
        ModelsController,
        HealthController,
        MetricsController,
        ...RELEASE_CONTROLLERS,
      ],
      providers: [
        { provide: AppConfig, useValue: parts.config },
        { provide: InitialModelFactory, useValue: parts.initialModels },
        { provide: RoundDispatcher, useValue: parts.dispatcher },
        { provide: AdminAuthService, useValue: parts.adminAuth },
        AdminGuard,
        AdminOrSiteGuard,
        ...releaseProviders(parts.config.dataDir),
        {
          provide: SiteAuthService,
          useFactory: (s: SiteRepository) => new SiteAuthService(s),
          inject: [SiteRepository],
        },
        {
          provide: CoordinatorMetrics,
          useFactory: (r: RoundRepository) => new CoordinatorMetrics(r),
          inject: [RoundRepository],
        },
        {
          provide: SitesService,
          useFactory: (s: SiteRepository, a: AuditLog) => new SitesService(s, a),
          inject: [SiteRepository, AuditLog],
        },
        {
          provide: StudiesService,
          useFactory: (st: StudyRepository, s: SiteRepository, a: AuditLog) => new StudiesService(st, s, a),
          inject: [StudyRepository, SiteRepository, AuditLog],
        },
        {
          provide: GlobalModelsService,
          useFactory: (
            m: GlobalModelRepository,
            b: BlobStore,
            f: InitialModelFactory,
            st: StudyRepository,
            a: AuditLog,
          ) => new GlobalModelsService(m, b, f, st, a),
          inject: [GlobalModelRepository, BlobStore, InitialModelFactory, StudyRepository, AuditLog],
        },
        {
          provide: RoundsService,
          useFactory: (
            st: StudyRepository,
            r: RoundRepository,
            p: ParticipantRepository,
            g: GlobalModelsService,
            a: AuditLog,
            d: RoundDispatcher,
            m: CoordinatorMetrics,
          ) => new RoundsService(st, r, p, g, a, d, m, parts.logger),
          inject: [
            StudyRepository,
            RoundRepository,
            ParticipantRepository,
            GlobalModelsService,
            AuditLog,
            RoundDispatcher,
            CoordinatorMetrics,
          ],
        },
      ],
      exports: [RoundsService, SiteAuthService, CoordinatorMetrics, RoundEvaluationService],
    };
  }
}
