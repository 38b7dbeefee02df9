import { StreamingFedAvg, type UpdateTensor, type WeightTensor } from '@fedaln/aggregation';
import { f32BlobWriter } from '@fedaln/protocol';
import type { BlobStore } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import type { Participant } from '../domain/records';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { KeyedSerial } from '../rounds/keyed-serial';
import { readStoredBlob, type BlobCache } from '../transfer/blob-cache';
import { decodeUpdate } from '../transfer/update-decoder';

/** The round in flight of one study: its base model and the exact running sum of accepted updates. */
interface Accumulator {
  readonly round: number;
  readonly global: readonly WeightTensor[];
  readonly fedavg: StreamingFedAvg;
  readonly folded: Set<string>;
}

/**
 * Streaming FedAvg per study (DESIGN.md "Rounds"): accepted updates are folded one at a time into
 * a `StreamingFedAvg` (8 bytes per parameter, whatever the number of sites); at aggregation the
 * accumulator is reconciled with the persisted uploads, so after a restart the accepted updates are
 * re-folded from the blob store — exact and order-independent, so the result is bit-identical —
 * and an update is never folded twice (folds are keyed by site). All work on one study runs in
 * order (`serial`), which also bounds memory to one update blob at a time.
 *
 * @example
 * await aggregator.serial.run(studyId, () => aggregator.fold(studyId, 1, globalSha, siteId, bytes, 120));
 * const next = await aggregator.aggregate(studyId, 1, globalSha, uploads); // { sha256, bytes }
 */
export class RoundAggregator {
  readonly serial = new KeyedSerial();
  private readonly accumulators = new Map<string, Accumulator>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly cache: BlobCache,
    private readonly models: GlobalModelRepository,
  ) {}

  /** The global model round `round` trains from (version round − 1). */
  async baseModel(studyId: string, round: number): Promise<{ sha256: string; bytes: number }> {
    const model = await this.models.find(studyId, round - 1);
    if (!model)
      throw new DomainError('MODEL_NOT_FOUND', `study ${studyId} has no model version ${round - 1}`);
    return model;
  }

  /** Checks an update against the round's global layout and ranges; throws UpdateRejected. */
  async verify(
    studyId: string,
    round: number,
    update: readonly UpdateTensor[],
    nTrain: number,
  ): Promise<void> {
    const acc = await this.accumulator(studyId, round);
    acc.fedavg.check(update, nTrain);
  }

  /** Folds a verified, persisted update; a site already folded in this round is skipped. */
  async fold(studyId: string, round: number, siteId: string, update: readonly UpdateTensor[], n: number) {
    const acc = await this.accumulator(studyId, round);
    if (acc.folded.has(siteId)) return false;
    acc.fedavg.add(update, n);
    acc.folded.add(siteId);
    return true;
  }

  /** Re-folds, from the blob store, every persisted upload the accumulator does not hold yet. */
  async reconcile(studyId: string, round: number, uploads: readonly Participant[]): Promise<number> {
    const acc = await this.accumulator(studyId, round);
    let refolded = 0;
    for (const p of uploads) {
      if (acc.folded.has(p.siteId) || p.updateSha256 === null || p.nTrain === null) continue;
      const bytes = await readStoredBlob(this.blobs, p.updateSha256);
      await this.fold(studyId, round, p.siteId, decodeUpdate(bytes), p.nTrain);
      refolded++;
    }
    return refolded;
  }

  /**
   * New global = global + Σ nᵢδᵢ / Σ nᵢ over `uploads`, encoded f32 and stored; the accumulator is
   * dropped. Call inside `serial.run(studyId, …)`.
   */
  async aggregate(studyId: string, round: number, uploads: readonly Participant[]) {
    await this.reconcile(studyId, round, uploads);
    const next = await this.takeMean(studyId, round, uploads);
    const stored = await this.blobs.put(next.bytes, next.sha256);
    this.cache.remember(
      stored.sha256,
      Buffer.from(next.bytes.buffer, next.bytes.byteOffset, next.bytes.length),
    );
    return stored;
  }

  /**
   * global + δ̄ as an f32 blob, written straight into the blob's bytes (no second copy of the
   * model), and the accumulator is forgotten: once this returns nothing references its 8 B/param.
   */
  private async takeMean(studyId: string, round: number, uploads: readonly Participant[]) {
    const acc = await this.accumulator(studyId, round);
    const wanted = new Set(uploads.map((p) => p.siteId));
    if ([...acc.folded].some((s) => !wanted.has(s)) || acc.folded.size !== wanted.size) {
      throw new Error(
        `accumulator holds sites ${[...acc.folded].join(',')}, uploads are ${[...wanted].join(',')}`,
      );
    }
    this.accumulators.delete(studyId);
    acc.fedavg.close();
    const blob = f32BlobWriter(acc.global);
    acc.fedavg.applyTo(acc.global, blob.views);
    return blob.seal();
  }

  /** Forgets a study's accumulator (round failed or study stopped). */
  drop(studyId: string): void {
    this.accumulators.get(studyId)?.fedavg.close();
    this.accumulators.delete(studyId);
  }

  private async accumulator(studyId: string, round: number): Promise<Accumulator> {
    const existing = this.accumulators.get(studyId);
    if (existing?.round === round) return existing;
    existing?.fedavg.close();
    const base = await this.baseModel(studyId, round);
    const global = decodeUpdate(await this.cache.get(base.sha256));
    const acc: Accumulator = {
      round,
      global,
      fedavg: new StreamingFedAvg(
        global.map(({ name, shape }) => ({ name, shape })),
        { global },
      ),
      folded: new Set(),
    };
    this.accumulators.set(studyId, acc);
    return acc;
  }
}
