import type { Readable } from 'node:stream';
import type { AuditLog } from '../audit/audit-log';
import type { Principal } from '../auth/principal';
import type { BlobStore, StoredBlob } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import type { GlobalModel, Study } from '../domain/records';
import type { GlobalModelRepository } from './global-model.repository';
import type { StudyRepository } from '../studies/study.repository';
import type { InitialModelFactory } from './initial-model.factory';

/** Global model versions of a study: rows hold hashes, the blob store holds the bytes. */
export class GlobalModelsService {
  constructor(
    private readonly models: GlobalModelRepository,
    private readonly blobs: BlobStore,
    private readonly initial: InitialModelFactory,
    private readonly studies: StudyRepository,
    private readonly audit: AuditLog,
  ) {}

  /** Version 0, built from the study spec; calling it again returns the existing version 0. */
  async createInitial(study: Study): Promise<GlobalModel> {
    const existing = await this.models.find(study.id, 0);
    if (existing) return existing;
    const stored = await this.blobs.put(await this.initial.create(study.spec));
    return this.register({ studyId: study.id, version: 0, roundNumber: null, ...stored });
  }

  /**
   * Version r = the aggregate of round r, which the aggregation has just written to the blob store
   * (`stored`, as `BlobStore.putChunks` returned it: not read back).
   */
  async registerAggregate(studyId: string, roundNumber: number, stored: StoredBlob): Promise<GlobalModel> {
    // A coordinator killed between this insert and the round transition re-aggregates on restart;
    // the exact accumulator reproduces the same blob, which is then already registered.
    const existing = await this.models.find(studyId, roundNumber);
    if (existing?.sha256 === stored.sha256) return existing;
    return this.register({ studyId, version: roundNumber, roundNumber, ...stored });
  }

  private async register(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    const added = await this.models.add(model);
    await this.audit.append({
      actor: 'system',
      action: 'model.registered',
      subjectType: 'model',
      subjectId: `${model.studyId}/v${model.version}`,
      details: { sha256: model.sha256, bytes: model.bytes, roundNumber: model.roundNumber },
    });
    return added;
  }

  /**
   * The blob of one version, for the lead or a site listed in the study.
   *
   * @example
   * const { model, stream } = await globalModels.open(studyId, 0, { kind: 'admin' });
   */
  async open(
    studyId: string,
    version: number,
    who: Principal,
  ): Promise<{ model: GlobalModel; stream: Readable }> {
    const study = await this.studies.findById(studyId);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${studyId}`);
    if (who.kind === 'site' && !study.spec.sites.includes(who.siteId)) {
      throw new DomainError('FORBIDDEN', `site ${who.siteId} is not part of study ${study.id}`);
    }
    const model = await this.models.find(study.id, version);
    const opened = model ? await this.blobs.open(model.sha256) : null;
    if (!model || !opened)
      throw new DomainError('MODEL_NOT_FOUND', `study ${study.id} has no model version ${version}`);
    return { model, stream: opened.stream };
  }
}
