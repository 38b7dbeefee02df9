import { StreamingFedAvg, type UpdateTensor, type WeightTensor } from '@fedaln/aggregation';
import { f32BlobLayout } from '@fedaln/protocol';
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
    const acc = await this.take(studyId, round, uploads);
    // Written to the blob store chunk by chunk: the new model is never whole in memory beside the
    // accumulator; it is read into the cache when sites fetch it, after the accumulator is gone.
    return this.blobs.putChunks(() => newGlobalChunks(acc.fedavg, acc.global));
  }

  /** The round's accumulator, checked against the uploads, and forgotten by this aggregator. */
  private async take(studyId: string, round: number, uploads: readonly Participant[]) {
    const acc = await this.accumulator(studyId, round);
    const wanted = new Set(uploads.map((p) => p.siteId));
    if ([...acc.folded].some((s) => !wanted.has(s)) || acc.folded.size !== wanted.size) {
      throw new Error(
        `accumulator holds sites ${[...acc.folded].join(',')}, uploads are ${[...wanted].join(',')}`,
      );
    }
    this.accumulators.delete(studyId);
    return acc;
  }

  /** Forgets a study's accumulator (round failed or study stopped). */
  drop(studyId: string): void {
    this.accumulators.delete(studyId);
  }

  private async accumulator(studyId: string, round: number): Promise<Accumulator> {
    const existing = this.accumulators.get(studyId);
    if (existing?.round === round) return existing;
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

/** Floats per chunk of the new model written to the blob store. */
const WRITE_CHUNK = 1 << 16;

/**
 * The f32 blob of global + δ̄ (the bytes `encodeBlob` would give, `f32BlobLayout`) as a sequence of
 * chunks; the buffer of one chunk is reused for the next. A non-finite value (possible only if the
 * sum overflows float32) stops it with an error naming the tensor.
 */
function* newGlobalChunks(fedavg: StreamingFedAvg, global: readonly WeightTensor[]): Generator<Uint8Array> {
  const layout = f32BlobLayout(global);
  yield layout.head;
  const buffer = new Float32Array(WRITE_CHUNK);
  let written = 0;
  for (const [k, t] of global.entries()) {
    const { offset } = layout.tensors[k] as { offset: number };
    if (offset > written) yield new Uint8Array(offset - written);
    for (let from = 0; from < t.values.length; from += WRITE_CHUNK) {
      const out = buffer.subarray(0, Math.min(WRITE_CHUNK, t.values.length - from));
      fedavg.applyChunk(k, from, out, t.values.subarray(from, from + out.length));
      const bad = out.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new Error(`the new global's tensor "${t.name}" has ${out[bad]} at index ${from + bad}`);
      yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    written = offset + 4 * t.values.length;
  }
}
