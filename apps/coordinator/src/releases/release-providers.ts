import type { Provider, Type } from '@nestjs/common';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { BlobStore } from '../blobs/blob-store';
import { GlobalModelRepository } from '../models/global-model.repository';
import { FeatureModelStore } from '../orchestration/feature-model';
import { FileMetricsReportStore, MetricsReportStore } from '../orchestration/metrics-report-store';
import {
  TypeOrmReleaseRepository,
  TypeOrmVerdictRepository,
} from '../persistence/typeorm-release.repository';
import { ReleaseSigner } from '../release/signing';
import { ParticipantRepository } from '../rounds/participant.repository';
import { RoundRepository } from '../rounds/round.repository';
import { SiteRepository } from '../sites/site.repository';
import { StudyRepository } from '../studies/study.repository';
import { KeysController } from './keys.controller';
import { ReleaseArtifacts } from './release-artifacts';
import { ReleaseRepository, VerdictRepository } from './release.repository';
import { ReleasesController, StudyReleasesController } from './releases.controller';
import { ReleasesService } from './releases.service';
import { RoundEvaluationService } from './round-evaluation.service';
import { RoundMetricsController } from './round-metrics.controller';

/**
 * Evaluation and release wiring: round metrics, verdicts, signed releases and their files, the
 * signing key. The key pair is made (or read) here, at start, in `<data-dir>/keys`. The metrics
 * reports are read from the store the site gateway writes (`<data-dir>/metrics`).
 */
export const RELEASE_CONTROLLERS: Type[] = [
  RoundMetricsController,
  StudyReleasesController,
  ReleasesController,
  KeysController,
];

/** The providers behind {@link RELEASE_CONTROLLERS}; spread into AppModule (whose guards they use). */
export function releaseProviders(dataDir: string): Provider[] {
  return [
    { provide: ReleaseSigner, useValue: ReleaseSigner.loadOrCreate(dataDir) },
    { provide: MetricsReportStore, useValue: new FileMetricsReportStore(path.join(dataDir, 'metrics')) },
    {
      provide: VerdictRepository,
      useFactory: (ds: DataSource) => new TypeOrmVerdictRepository(ds),
      inject: [DataSource],
    },
    {
      provide: ReleaseRepository,
      useFactory: (ds: DataSource) => new TypeOrmReleaseRepository(ds),
      inject: [DataSource],
    },
    {
      provide: ReleaseArtifacts,
      useFactory: (b: BlobStore) => new ReleaseArtifacts(path.join(dataDir, 'releases'), b),
      inject: [BlobStore],
    },
    {
      provide: RoundEvaluationService,
      useFactory: (
        st: StudyRepository,
        r: RoundRepository,
        s: SiteRepository,
        m: MetricsReportStore,
        v: VerdictRepository,
        a: AuditLog,
      ) => new RoundEvaluationService(st, r, s, m, v, a),
      inject: [
        StudyRepository,
        RoundRepository,
        SiteRepository,
        MetricsReportStore,
        VerdictRepository,
        AuditLog,
      ],
    },
    {
      provide: ReleasesService,
      useFactory: (
        studies: StudyRepository,
        rounds: RoundRepository,
        participants: ParticipantRepository,
        models: GlobalModelRepository,
        blobs: BlobStore,
        releases: ReleaseRepository,
        evaluation: RoundEvaluationService,
        signer: ReleaseSigner,
        artifacts: ReleaseArtifacts,
        audit: AuditLog,
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
          featureModels: new FeatureModelStore(path.join(dataDir, 'metrics')),
        }),
      inject: [
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
      ],
    },
  ];
}
