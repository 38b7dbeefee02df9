import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditChainReader, AuditLog } from '../audit/audit-log';
import { AdminTokenRepository } from '../auth/admin-token.repository';
import { BlobReferences } from '../blobs/blob-references';
import { BlobStore, FileBlobStore } from '../blobs/blob-store';
import { DatabaseHealth } from '../telemetry/database-health';
import { Transactions } from '../domain/transactions';
import { GlobalModelRepository } from '../models/global-model.repository';
import { ReleaseRepository, VerdictRepository } from '../releases/release.repository';
import { ParticipantRepository } from '../rounds/participant.repository';
import { RoundRepository } from '../rounds/round.repository';
import { SiteRepository } from '../sites/site.repository';
import { StudyRepository } from '../studies/study.repository';
import { TypeOrmAdminTokenRepository } from './typeorm-admin-token.repository';
import { TypeOrmBlobReferences } from './typeorm-blob-references';
import { TypeOrmAuditChainReader, TypeOrmAuditLog } from './typeorm-audit-log';
import { TypeOrmDatabaseHealth } from './typeorm-database-health';
import { TypeOrmGlobalModelRepository } from './typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from './typeorm-participant.repository';
import { TypeOrmReleaseRepository, TypeOrmVerdictRepository } from './typeorm-release.repository';
import { TypeOrmRoundRepository } from './typeorm-round.repository';
import { TypeOrmSiteRepository } from './typeorm-site.repository';
import { TypeOrmStudyRepository } from './typeorm-study.repository';
import { TypeOrmTransactions } from './typeorm-transactions';

/** Binds every repository port (an abstract class, its own token) to its TypeORM adapter. */
function adapter<T>(port: abstract new (...args: never[]) => T, make: (ds: DataSource) => T): Provider {
  return { provide: port, useFactory: make, inject: [DataSource] };
}

@Global()
@Module({})
export class PersistenceModule {
  static forRoot(dataSource: DataSource, blobDir: string): DynamicModule {
    const providers: Provider[] = [
      { provide: DataSource, useValue: dataSource },
      { provide: BlobStore, useValue: new FileBlobStore(blobDir) },
      adapter(SiteRepository, (ds) => new TypeOrmSiteRepository(ds)),
      adapter(AdminTokenRepository, (ds) => new TypeOrmAdminTokenRepository(ds)),
      adapter(StudyRepository, (ds) => new TypeOrmStudyRepository(ds)),
      adapter(RoundRepository, (ds) => new TypeOrmRoundRepository(ds)),
      adapter(ParticipantRepository, (ds) => new TypeOrmParticipantRepository(ds)),
      adapter(GlobalModelRepository, (ds) => new TypeOrmGlobalModelRepository(ds)),
      adapter(AuditLog, (ds) => new TypeOrmAuditLog(ds)),
      adapter(AuditChainReader, (ds) => new TypeOrmAuditChainReader(ds)),
      adapter(VerdictRepository, (ds) => new TypeOrmVerdictRepository(ds)),
      adapter(ReleaseRepository, (ds) => new TypeOrmReleaseRepository(ds)),
      adapter(Transactions, (ds) => new TypeOrmTransactions(ds)),
      adapter(BlobReferences, (ds) => new TypeOrmBlobReferences(ds)),
      adapter(DatabaseHealth, (ds) => new TypeOrmDatabaseHealth(ds)),
    ];
    return {
      module: PersistenceModule,
      providers,
      exports: providers.map((p) => (p as { provide: unknown }).provide as never),
    };
  }
}
