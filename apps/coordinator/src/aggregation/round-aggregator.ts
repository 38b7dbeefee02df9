import {
  type CheckedUpdate,
  StreamingFedAvg,
  type UpdateTensor,
  type WeightTensor,
} from '@fedaln/aggregation';
import {
  blobBounds,
  f32BlobChunks,
  openBlobFile,
  readBlobHeader,
  type BlobBounds,
  type BlobReader,
} from '@fedaln/protocol';
import type { BlobStore } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import type { Participant, UpdateScreening } from '../domain/records';
import type { GlobalModelRepository } from '../models/global-model.repository';
import { KeyedSerial } from '../rounds/keyed-serial';
import type { BlobCache } from '../blobs/blob-cache';
import { foldsOnArrival, type RoundPlan, type RoundPlans } from './round-plan';
import { combineScreened, type StoredUpdate } from './screened-round';
import { decodeUpdate } from './update-decoder';
import { type MeanChunk, type ServerStep, serverStepOf, sharedTensors } from './server-step';

/** Plain FedAvg folded on arrival, no screening: the plan of an aggregator given no study plans. */
const FOLD_ON_ARRIVAL: RoundPlans = {
  planOf: async () => ({
    shares: 1,
    minSites: 1,
    screening: null,
    aggregator: 'fedavg',
    trimBeta: 0,
    strategy: { name: 'fedavg' },
    secure: false,
  }),
};

/**
 * Where the rounds of secure-aggregation studies are aggregated (`SecureAggregationService`): their
 * uploads are masked, so this aggregator only hands the round over.
 */
export interface MaskedRounds {
  aggregate(studyId: string, round: number): Promise<AggregatedRound>;
}

/** A round's new global model in the blob store, and what screening decided per site. */
export interface AggregatedRound {
  readonly sha256: string;
  readonly bytes: number;
  /** FedAdam: the server optimizer's state after this round, in the blob store (server-step.ts). */
  readonly serverStateSha256?: string;
  /** Per site; empty when the study folds on arrival (no screening). */
  readonly screening: ReadonlyMap<string, UpdateScreening>;
}

/** An accepted update: persisted (blob + participant row), to be folded from the blob store. */
export interface AcceptedUpdate {
  readonly siteId: string;
  readonly sha256: string;
  readonly nTrain: number;
}

/** An accepted update not folded yet, with its share of the round's range (StreamingFedAvg.check). */
interface PendingUpdate extends AcceptedUpdate {
  readonly checked: CheckedUpdate;
}

/** The round in flight of one study: its base model and the running sum of accepted updates. */
interface Accumulator {
  readonly round: number;
  readonly plan: RoundPlan;
  readonly global: readonly WeightTensor[];
  readonly fedavg: StreamingFedAvg;
  readonly folded: Set<string>;
  readonly pending: PendingUpdate[];
}

/** Where the aggregator reports a fold it had to leave for later. */
export interface AggregatorLog {
  warn(obj: object, msg: string): void;
}

/**
 * Streaming FedAvg per study (DESIGN.md "Rounds"): accepted updates are folded into a
 * `StreamingFedAvg` (8 bytes per parameter, whatever the number of sites) as they arrive, read in
 * chunks from the blob store. An update is checked before it is persisted, then handed over with
 * {@link accepted}; {@link foldPending} folds what is waiting — two at a time when two are (one
 * pass over the accumulator for the pair, `StreamingFedAvg.addAll`). At aggregation the
 * accumulator is reconciled with the persisted uploads, so after a restart the accepted updates
 * are re-folded from the blob store — exact and order-independent, so the result is bit-identical
 * — and an update is never folded twice (folds are keyed by site). All work on one study runs in
 * order (`serial`).
 *
 * @example
 * const checked = await aggregator.verify(studyId, 1, update.tensors, 120);
 * // … persist the blob and the participant row, then:
 * aggregator.accepted(studyId, 1, { siteId, sha256, nTrain: 120 }, checked);
 * await aggregator.foldPending(studyId);
 * const next = await aggregator.aggregate(studyId, 1, uploads); // { sha256, bytes }
 */
export class RoundAggregator {
  readonly serial = new KeyedSerial();
  private readonly accumulators = new Map<string, Accumulator>();
  /** Per study, the update bounds of its latest base model. */
  private readonly bounds = new Map<string, { readonly sha256: string; readonly bounds: BlobBounds }>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly cache: BlobCache,
    private readonly models: GlobalModelRepository,
    private readonly log: AggregatorLog = { warn: () => undefined },
    private readonly plans: RoundPlans = FOLD_ON_ARRIVAL,
    private readonly masked: MaskedRounds | null = null,
  ) {}

  /** The global model round `round` trains from (version round − 1). */
  async baseModel(studyId: string, round: number): Promise<{ sha256: string; bytes: number }> {
    const model = await this.models.find(studyId, round - 1);
    if (!model)
      throw new DomainError('MODEL_NOT_FOUND', `study ${studyId} has no model version ${round - 1}`);
    return model;
  }

  /**
   * The most header and blob bytes an update of round `round` can take: `blobBounds` of the
   * layout (names, shapes) of the model the round trains from, read from its header once per model.
   */
  async updateBounds(studyId: string, round: number): Promise<BlobBounds> {
    const base = await this.baseModel(studyId, round);
    const known = this.bounds.get(studyId);
    if (known?.sha256 === base.sha256) return known.bounds;
    const { header } = readBlobHeader(await this.cache.get(base.sha256));
    const bounds = blobBounds(header.tensors);
    this.bounds.set(studyId, { sha256: base.sha256, bounds });
    return bounds;
  }

  /**
   * Checks an update against the round's global layout and ranges, counting the accepted updates
   * not folded yet; throws UpdateRejected.
   */
  async verify(
    studyId: string,
    round: number,
    update: readonly UpdateTensor[],
    nTrain: number,
  ): Promise<CheckedUpdate> {
    const acc = await this.accumulator(studyId, round);
    return acc.fedavg.check(
      update,
      nTrain,
      acc.pending.map((p) => p.checked),
    );
  }

  /** Hands over a verified, persisted update to be folded; a site already folded or waiting is skipped. */
  accepted(studyId: string, round: number, update: AcceptedUpdate, checked: CheckedUpdate): void {
    const acc = this.accumulators.get(studyId);
    if (acc?.round !== round) return; // the accumulator was dropped: reconcile folds it from the store
    if (acc.folded.has(update.siteId) || acc.pending.some((p) => p.siteId === update.siteId)) return;
    acc.pending.push({ ...update, checked });
  }

  /** Accepted updates of the study's round in flight that wait to be folded. */
  pendingCount(studyId: string): number {
    return this.accumulators.get(studyId)?.pending.length ?? 0;
  }

  /**
   * Folds the waiting updates. On a failure (a stored blob unreadable, say) the accumulator, which
   * may hold part of an update, is dropped and the failure logged: the aggregation rebuilds it from
   * the persisted uploads, and fails the round with the reason if it fails again.
   */
  async foldPending(studyId: string): Promise<number> {
    const acc = this.accumulators.get(studyId);
    if (!acc || acc.pending.length === 0 || !foldsOnArrival(acc.plan)) return 0;
    try {
      return await this.foldStored(studyId, acc, acc.pending);
    } catch (e) {
      this.drop(studyId);
      this.log.warn(
        { err: e, studyId, round: acc.round },
        'fold failed: the aggregation will refold the round from the blob store',
      );
      return 0;
    }
  }

  /** Folds, from the blob store, every persisted upload the accumulator does not hold yet. */
  async reconcile(studyId: string, round: number, uploads: readonly Participant[]): Promise<number> {
    const acc = await this.accumulator(studyId, round);
    if (!foldsOnArrival(acc.plan)) return 0; // screened at aggregation, read from the store then
    const missing: AcceptedUpdate[] = [];
    for (const p of uploads) {
      if (acc.folded.has(p.siteId) || p.updateSha256 === null || p.nTrain === null) continue;
      missing.push({ siteId: p.siteId, sha256: p.updateSha256, nTrain: p.nTrain });
    }
    return this.foldStored(studyId, acc, missing);
  }

  /**
   * New global = global + δ̄ over `uploads`, encoded f32 and stored; the accumulator is dropped.
   * A study that folds on arrival (plain FedAvg, screening off) takes Σ nᵢδᵢ / Σ nᵢ from its
   * accumulator; any other screens the stored updates and combines those kept (`combineScreened`),
   * and throws `QuorumLostToScreening` when too few are kept. Call inside `serial.run(studyId, …)`.
   */
  async aggregate(studyId: string, round: number, uploads: readonly Participant[]): Promise<AggregatedRound> {
    if ((await this.plans.planOf(studyId)).secure) {
      if (!this.masked)
        throw new Error(`study ${studyId} uses secure aggregation; this aggregator has no MaskedRounds`);
      return this.masked.aggregate(studyId, round);
    }
    const plan = (await this.accumulator(studyId, round)).plan;
    if (!foldsOnArrival(plan)) return this.aggregateScreened(studyId, round, uploads);
    await this.reconcile(studyId, round, uploads);
    const acc = await this.take(studyId, round, uploads);
    // Written to the blob store chunk by chunk: the new model is never whole in memory beside the
    // accumulator; it is read into the cache when sites fetch it, after the accumulator is gone.
    try {
      const step = await this.serverStep(studyId, round, acc);
      const mean: MeanChunk = (k, from, out, base) => acc.fedavg.applyChunk(k, from, out, base);
      const stored = await this.blobs.putChunks(() => newGlobalChunks(acc.global, step, mean));
      return { ...stored, ...(await this.storeState(step)), screening: new Map() };
    } finally {
      acc.fedavg.close();
    }
  }

  /** {@link aggregate} for a study that screens or combines robustly: every update read from the store. */
  private async aggregateScreened(studyId: string, round: number, uploads: readonly Participant[]) {
    const acc = await this.accumulator(studyId, round);
    this.drop(studyId); // its sum is not used: only its checks were
    const files: BlobReader[] = [];
    try {
      const stored: StoredUpdate[] = [];
      for (const p of uploads) {
        if (p.updateSha256 === null || p.nTrain === null) continue;
        const file = await this.blobs.localFile(p.updateSha256);
        if (file === null) {
          throw new Error(
            `study ${studyId} round ${round}: site ${p.siteId}'s update ${p.updateSha256} is not in the blob store`,
          );
        }
        const reader = openBlobFile(file);
        files.push(reader);
        stored.push({
          siteId: p.siteId,
          nTrain: p.nTrain,
          tensors: sharedTensors(acc.plan.strategy, reader.tensors),
        });
      }
      const layout = acc.global.map(({ name, shape }) => ({ name, shape }));
      const combined = combineScreened(layout, acc.global, stored, acc.plan);
      try {
        const step = await this.serverStep(studyId, round, acc);
        const blob = await this.blobs.putChunks(() => newGlobalChunks(acc.global, step, combined.applyChunk));
        return { ...blob, ...(await this.storeState(step)), screening: combined.screening };
      } finally {
        combined.close();
      }
    } finally {
      for (const f of files) f.close();
    }
  }

  /**
   * Folds stored updates, two per pass, each read in chunks from its blob file (never whole), and
   * marks them folded. Throws, naming the sites, if any is refused — for a persisted update that
   * means its blob is not what was checked.
   */
  private async foldStored(studyId: string, acc: Accumulator, updates: readonly AcceptedUpdate[]) {
    const todo = updates.filter((u) => !acc.folded.has(u.siteId));
    const named = todo.map((u) => `site ${u.siteId}'s update ${u.sha256}`).join(', ');
    const files: BlobReader[] = [];
    try {
      let outcome: ReturnType<StreamingFedAvg['addAll']>;
      try {
        for (const u of todo) {
          const file = await this.blobs.localFile(u.sha256);
          if (file === null) throw new Error('it is not in the blob store');
          files.push(openBlobFile(file));
        }
        outcome = acc.fedavg.addAll(
          todo.map((u, i) => ({
            update: sharedTensors(acc.plan.strategy, (files[i] as BlobReader).tensors),
            nSamples: u.nTrain,
          })),
        );
      } catch (e) {
        throw new Error(
          `study ${studyId} round ${acc.round}: could not fold ${named}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      const refused: string[] = [];
      todo.forEach((u, i) => {
        const failure = outcome[i];
        if (failure) refused.push(`site ${u.siteId} (${u.sha256}): ${failure.message}`);
        else acc.folded.add(u.siteId);
      });
      const folded = new Set(todo.map((u) => u.siteId).filter((s) => acc.folded.has(s)));
      acc.pending.splice(0, acc.pending.length, ...acc.pending.filter((p) => !folded.has(p.siteId)));
      if (refused.length > 0) {
        throw new Error(
          `study ${studyId} round ${acc.round}: stored updates refused by the fold: ${refused.join('; ')}`,
        );
      }
      return folded.size;
    } finally {
      for (const f of files) f.close();
    }
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

  /**
   * The strategy's server step of the round (server-step.ts); FedAdam reads the moments stored with
   * the base model, so a restarted coordinator re-aggregating the round gets the same result.
   */
  private async serverStep(studyId: string, round: number, acc: Accumulator): Promise<ServerStep> {
    if (acc.plan.strategy.name !== 'fedadam') return serverStepOf(acc.plan.strategy, acc.global, null);
    const base = await this.models.find(studyId, round - 1);
    if (round > 1 && !base?.serverStateSha256)
      throw new Error(
        `study ${studyId}: model version ${round - 1} has no FedAdam server state to continue from`,
      );
    const state = base?.serverStateSha256 ? await this.cache.get(base.serverStateSha256) : null;
    return serverStepOf(acc.plan.strategy, acc.global, state);
  }

  private async storeState(step: ServerStep): Promise<{ serverStateSha256?: string }> {
    const state = step.state();
    return state ? { serverStateSha256: (await this.blobs.put(state)).sha256 } : {};
  }

  /** Forgets a study's accumulator (round failed or study stopped). */
  drop(studyId: string): void {
    this.accumulators.get(studyId)?.fedavg.close();
    this.accumulators.delete(studyId);
  }

  private async accumulator(studyId: string, round: number): Promise<Accumulator> {
    const existing = this.accumulators.get(studyId);
    if (existing?.round === round) return existing;
    existing?.fedavg.close(); // a round the study has left
    const base = await this.baseModel(studyId, round);
    const global = decodeUpdate(await this.cache.get(base.sha256));
    const plan = await this.plans.planOf(studyId);
    const acc: Accumulator = {
      round,
      plan,
      global,
      fedavg: new StreamingFedAvg(
        global.map(({ name, shape }) => ({ name, shape })),
        { global, shares: plan.shares, scale: plan.gridScale },
      ),
      folded: new Set(),
      pending: [],
    };
    this.accumulators.set(studyId, acc);
    return acc;
  }
}

/**
 * The f32 blob of the new global (global + δ̄, or the strategy's server step on δ̄), the bytes
 * `encodeBlob` would give, as chunks written straight to the blob store (`f32BlobChunks`, one reused buffer). A non-finite value (possible only if the sum
 * overflows float32) stops it with a BlobFormatError naming the tensor and index.
 */
function newGlobalChunks(
  global: readonly WeightTensor[],
  step: ServerStep,
  mean: MeanChunk,
): Iterable<Uint8Array> {
  return f32BlobChunks(global, (k, from, out) => {
    const values = (global[k] as WeightTensor).values;
    step.chunk(k, from, out, values.subarray(from, from + out.length), mean);
  });
}
