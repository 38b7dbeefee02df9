import type { Readable } from 'node:stream';
import type { Principal } from '../auth/principal';
import type { BlobStore, StoredBlob } from '../blobs/blob-store';

/** A round's aggregate in the blob store, with the FedAdam server state after it (a FedAdam study). */
export type AggregateBlob = StoredBlob & { readonly serverStateSha256?: string };
import { DomainError } from '../domain/domain-error';
import type { GlobalModel, Study } from '../domain/records';
import type { UnitOfWork } from '../domain/transactions';
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
  ) {}

  /**
   * The weights of version 0, built from the study spec and put in the blob store — slow, so before
   * the transaction that registers them (`registerInitial`); null when version 0 exists already.
   */
  async initialBlob(study: Study): Promise<StoredBlob | null> {
    if (await this.models.find(study.id, 0)) return null;
    return this.blobs.put(await this.initial.create(study.spec));
  }

  /** Registers version 0 (from `initialBlob`) in `tx`; a no-op when it exists already. */
  async registerInitial(tx: UnitOfWork, study: Study, stored: StoredBlob | null): Promise<void> {
    if (!stored || (await tx.models.find(study.id, 0))) return;
    await this.register(tx, { studyId: study.id, version: 0, roundNumber: null, ...stored });
  }

  /**
   * Version r = the aggregate of round r, which the aggregation has just written to the blob store
   * (`stored`, as `BlobStore.putChunks` returned it: not read back), registered in `tx` with the
   * round's transition.
   */
  async registerAggregate(
    tx: UnitOfWork,
    studyId: string,
    roundNumber: number,
    stored: AggregateBlob,
  ): Promise<GlobalModel> {
    // A coordinator killed before the transition committed re-aggregates on restart; the exact
    // accumulator reproduces the same blob (already in the store, unregistered).
    const existing = await tx.models.find(studyId, roundNumber);
    if (existing?.sha256 === stored.sha256) return existing;
    return this.register(tx, { studyId, version: roundNumber, roundNumber, ...stored });
  }

  private async register(tx: UnitOfWork, model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    const added = await tx.models.add(model);
    await tx.audit.append({
      actor: 'system',
      action: 'model.registered',
      subjectType: 'model',
      subjectId: `${model.studyId}/v${model.version}`,
      details: {
        sha256: model.sha256,
        bytes: model.bytes,
        roundNumber: model.roundNumber,
        ...(model.serverStateSha256 ? { serverStateSha256: model.serverStateSha256 } : {}),
      },
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
