import type { FoldThread } from './fold-worker-thread';
import { gridScale, K_MAX, N_MAX } from './grid';
import { GridSum, readValues, type UpdateFold, type Values } from './grid-sum';
import { UpdateRejected } from './update-rejected';

/** A tensor of the global model's layout. */
export interface LayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A float32 tensor (structurally `NamedTensor` of `@fedaln/protocol`). */
export interface WeightTensor extends LayoutEntry {
  readonly values: Float32Array;
}

/**
 * A tensor of an update read on demand — from a file, say — instead of held in memory: `read` fills
 * `into` with the values [from, from + into.length) and throws if it cannot.
 */
export interface TensorSource extends LayoutEntry {
  read(from: number, into: Float32Array): void;
}

/** An update's tensor, in memory or read on demand. */
export type UpdateTensor = WeightTensor | TensorSource;

/** One update of {@link StreamingFedAvg.addAll}: its tensors and its sample count. */
export interface WeightedUpdate {
  readonly update: readonly UpdateTensor[];
  readonly nSamples: number;
}

/**
 * What {@link StreamingFedAvg.check} learnt of an update that passed: its sample count and, per layout
 * tensor, its largest |δ| — its share of the round's range while it waits to be folded.
 */
export interface CheckedUpdate {
  readonly nSamples: number;
  readonly maxAbs: Float64Array;
}

/** An update of a fold group: its index in the batch, and its tensors in layout order. */
interface Ready {
  readonly i: number;
  readonly nSamples: number;
  readonly tensors: readonly UpdateTensor[];
}

/** Floats per read when an update is checked from a {@link TensorSource}. */
const CHECK_CHUNK = 1 << 16;

const valuesOf = (t: UpdateTensor): Values =>
  'values' in t ? t.values : { length: size(t.shape), read: (from, into) => t.read(from, into) };

/**
 * Fills `into` with values [from, from + into.length) of an update's tensor, held or read on demand.
 *
 * @example
 * readTensor(update[0], 65536, chunk); // chunk = values 65536 … 65536 + chunk.length − 1
 */
export function readTensor(t: UpdateTensor, from: number, into: Float32Array): void {
  readValues(valuesOf(t), from, into);
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sample-weighted FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from
 * Decentralized Data", AISTATS 2017, Algorithm 1; Flower's `aggregate()` computes the same):
 *
 *   δ̄ = Σᵢ nᵢ·δᵢ / Σᵢ nᵢ,   new global = global + δ̄
 *
 * folded into a float64 accumulator on a per-tensor grid (`grid.ts`; `grid-sum.ts` folds): memory
 * is 8 bytes per parameter whatever the number of sites, every term is rounded to the grid on its
 * own and then summed exactly, so the result is bit-identical for any arrival order (proof and
 * error bound in `grid.ts`: within M·2⁻²⁷·K/W of the exact mean, M the tensor's scale).
 *
 * Streaming granularity: whole updates, each folded as it is added ({@link add}), or two in one pass
 * ({@link addAll}); a tensor may be read on demand ({@link TensorSource}, from a file say) instead
 * of held in memory. An update is validated while it is folded and, if any value is bad, what was
 * folded is subtracted again — exactly, so a rejected update leaves the accumulator bit-for-bit as
 * it was.
 *
 * @example
 * const fedavg = new StreamingFedAvg(globalWeights.map(({ name, shape }) => ({ name, shape })), { global: globalWeights });
 * fedavg.add(deltaFromSiteA, 120);
 * fedavg.add(deltaFromSiteB, 80);
 * const next = fedavg.applyTo(globalWeights); // global + (120·δA + 80·δB) / 200
 */
/** Options of {@link StreamingFedAvg}. */
export interface StreamingFedAvgOptions {
  /**
   * The global model the deltas apply to, in any order: each tensor's grid scale is the least power
   * of two ≥ max(1, its largest |value|) (`grid.ts`). Without it every scale is 1.
   */
  readonly global?: readonly WeightTensor[];
  /**
   * One grid scale for every tensor instead of the global's (a power of two): the clipped grid of
   * a secure study on the 32-bit ring (`clippedGridScale`). A plain round given the same scale
   * folds the very integers the secure round sums, so both give the same result bit for bit.
   */
  readonly scale?: number;
  /**
   * Where updates are folded: 'auto' (default) on a worker thread for updates of a million
   * parameters or more on a machine with two cores or more, overlapping with reading the next
   * chunk; 'always'; 'never' (the calling thread). The result is the same bit for bit.
   */
  readonly thread?: FoldThread;
  /**
   * How many equal shares the round's range is cut into (default 1): an update whose n·max|δ| for a
   * tensor exceeds range / shares is refused even while the round has room, so that no one update
   * can use up the range and get the honest ones refused after it. With shares = the number of
   * sites that may upload, every site that stays in its share fits whatever the others sent.
   */
  readonly shares?: number;
}

export class StreamingFedAvg {
  private readonly layout: readonly LayoutEntry[];
  private readonly index = new Map<string, number>();
  private readonly sum: GridSum;
  /** Σ nᵢ·max|δᵢ| per tensor over the folded updates, against the tensor's range. */
  private readonly used: Float64Array;
  private readonly shares: number;
  private updates = 0;
  private weight = 0;

  constructor(layout: readonly LayoutEntry[], options: StreamingFedAvgOptions = {}) {
    this.layout = layout.map(({ name, shape }) => ({ name, shape: [...shape] }));
    this.layout.forEach((t, i) => {
      if (this.index.has(t.name)) throw new Error(`layout names tensor "${t.name}" twice`);
      if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(`layout tensor "${t.name}" has an invalid shape ${shapeText(t.shape)}`);
      }
      this.index.set(t.name, i);
    });
    const scale = options.scale ?? 1;
    if (!(scale > 0 && Number.isFinite(scale) && 2 ** Math.round(Math.log2(scale)) === scale)) {
      throw new Error(`grid scale ${scale} is not a power of two: take it from clippedGridScale`);
    }
    const scales = this.layout.map(() => scale);
    if (options.global !== undefined && options.scale === undefined) {
      this.matchLayout(options.global, 'global').forEach((t, k) => {
        let maxAbs = 0;
        for (const v of t.values) maxAbs = Math.max(maxAbs, Math.abs(v));
        scales[k] = gridScale(maxAbs);
      });
    }
    this.sum = new GridSum(
      this.layout.map((t) => size(t.shape)),
      scales,
      { thread: options.thread ?? 'auto' },
    );
    this.used = new Float64Array(this.layout.length);
    const shares = options.shares ?? 1;
    if (!Number.isInteger(shares) || shares < 1 || shares > K_MAX) {
      throw new Error(`shares ${shares} is not an integer in 1..${K_MAX}`);
    }
    this.shares = shares;
  }

  /** Updates folded so far. */
  get count(): number {
    return this.updates;
  }

  /** Σ nᵢ over the folded updates. */
  get totalWeight(): number {
    return this.weight;
  }

  /**
   * Throws the {@link UpdateRejected} that {@link add} would throw for this update, without folding
   * it: checks the weight, the tensor set and shapes, and every value against its tensor's limit.
   * The round's range is checked as if the `pending` updates (checked, not yet folded) were in.
   * Returns what {@link add} will need to know of it to stand in for it in a later `pending`.
   *
   * @example
   * const checked = fedavg.check(update, 120); // before persisting it
   * fedavg.check(next, 80, [checked]);         // the first is not folded yet: its share is counted
   */
  check(
    update: readonly UpdateTensor[],
    nSamples: number,
    pending: readonly CheckedUpdate[] = [],
  ): CheckedUpdate {
    this.checkWeight(nSamples, pending.length);
    const scratch = update.some((t) => !('values' in t)) ? new Float32Array(CHECK_CHUNK) : undefined;
    const maxAbs = new Float64Array(this.layout.length);
    this.matchLayout(update).forEach((t, k) => {
      const cap = this.sum.cap(k, nSamples);
      const values = valuesOf(t);
      let m = 0;
      for (let from = 0; from < values.length; from += CHECK_CHUNK) {
        let v: Float32Array;
        if (values instanceof Float32Array) {
          v = values.subarray(from, from + CHECK_CHUNK);
        } else {
          v = (scratch as Float32Array).subarray(0, Math.min(CHECK_CHUNK, values.length - from));
          values.read(from, v);
        }
        for (let i = 0; i < v.length; i++) {
          const a = Math.abs(v[i] as number);
          if (!(a <= cap)) throw this.badValue(t, from + i, nSamples, cap);
          if (a > m) m = a;
        }
      }
      const others = pending.reduce((sum, p) => sum + p.nSamples * (p.maxAbs[k] as number), 0);
      const failure = this.outOfRange(k, t.name, nSamples, m, others);
      if (failure) throw failure;
      maxAbs[k] = m;
    });
    return { nSamples, maxAbs };
  }

  /**
   * Folds nSamples × delta. Throws {@link UpdateRejected} (accumulator untouched) when the tensor
   * set or a shape differs from the layout, a value is not finite or beyond its tensor's limit, the
   * round's updates would leave a tensor's range, nSamples is not an integer in 1…2²⁴, or 2¹⁴
   * updates are already in.
   */
  add(update: readonly UpdateTensor[], nSamples: number): void {
    const [failure] = this.addAll([{ update, nSamples }]);
    if (failure) throw failure;
  }

  /**
   * Folds several updates, with exactly the outcome of calling {@link add} on each in turn — the
   * same accumulator bit for bit and the same rejections — but two at a time, in one pass over the
   * accumulator instead of two (`GridSum.foldUpdates`): the fold is bound by memory traffic, and a
   * pair moves 24 bytes per parameter where two single folds move 40. Returns, per update, the
   * {@link UpdateRejected} it got or undefined when it was folded.
   *
   * @example
   * const [a, b] = fedavg.addAll([{ update: fromSiteA, nSamples: 120 }, { update: fromSiteB, nSamples: 80 }]);
   * if (a) log.warn(a.message); // B is folded whatever happened to A
   */
  addAll(batch: readonly WeightedUpdate[]): (UpdateRejected | undefined)[] {
    const outcome: (UpdateRejected | undefined)[] = batch.map(() => undefined);
    let next = 0;
    /** The next update that passes the checks made before folding (weight, count, layout), with its index. */
    const take = (alongside: number): Ready | undefined => {
      while (next < batch.length) {
        const i = next++;
        const { update, nSamples } = batch[i] as WeightedUpdate;
        try {
          this.checkWeight(nSamples, alongside);
          return { i, nSamples, tensors: this.matchLayout(update) };
        } catch (e) {
          if (!(e instanceof UpdateRejected)) throw e;
          outcome[i] = e;
        }
      }
      return undefined;
    };
    for (let a = take(0); a !== undefined; a = take(0)) {
      const b = take(1);
      const group = b === undefined ? [a] : [a, b];
      this.foldGroup(group).forEach((failure, j) => (outcome[(group[j] as Ready).i] = failure));
    }
    return outcome;
  }

  /**
   * Folds one or two updates (one pass over the accumulator), then decides each in order as
   * {@link add} would — a bad value or a range overrun in the earliest tensor where either occurs
   * rejects it — and undoes the rejected ones exactly (grid.ts, step 3).
   */
  private foldGroup(group: readonly Ready[]): (UpdateRejected | undefined)[] {
    const inputs = group.map((u) => ({ tensors: u.tensors.map(valuesOf), n: u.nSamples }));
    const folds = this.sum.foldUpdates(inputs);
    const outcome = group.map((u, j) => {
      const { bad, maxAbs } = folds[j] as UpdateFold;
      for (let k = 0; k < this.layout.length; k++) {
        const t = u.tensors[k] as UpdateTensor;
        const at = bad[k];
        if (at !== undefined) return this.badValue(t, at, u.nSamples, this.sum.cap(k, u.nSamples));
        const failure = this.outOfRange(k, t.name, u.nSamples, maxAbs[k] as number);
        if (failure) return failure;
      }
      maxAbs.forEach((m, k) => (this.used[k] = (this.used[k] as number) + u.nSamples * m));
      this.updates++;
      this.weight += u.nSamples;
      return undefined;
    });
    // Undo exactly what was folded: the same terms with the opposite sign.
    const undo = inputs.filter((_, j) => outcome[j] !== undefined).map((u) => ({ ...u, sign: -1 as const }));
    if (undo.length > 0) this.sum.foldUpdates(undo);
    return outcome;
  }

  /**
   * Stops the worker thread that folds large updates, if one runs (it would otherwise stop when
   * this accumulator is garbage-collected). Folding still works afterwards, on the calling thread.
   */
  close(): void {
    this.sum.close();
  }

  /**
   * The weighted mean delta δ̄ as float32 tensors in layout order.
   *
   * @example
   * fedavg.result()[0].values; // Float32Array of Σ nᵢ·δᵢ / Σ nᵢ
   */
  result(): WeightTensor[] {
    return this.read();
  }

  /**
   * New global weights: global + δ̄, each element rounded once to float32 from float64.
   *
   * @example
   * const next = fedavg.applyTo(globalWeights);
   */
  applyTo(global: readonly WeightTensor[]): WeightTensor[] {
    return this.read(this.matchLayout(global, 'global'));
  }

  /**
   * Part of {@link applyTo}: global + δ̄ for elements [from, from + out.length) of layout tensor k,
   * with `global` holding those elements of the global tensor — so a caller can write the new model
   * out chunk by chunk instead of holding it whole beside the accumulator.
   *
   * @example
   * fedavg.applyChunk(0, 65536, out, globalValues.subarray(65536, 65536 + out.length));
   */
  applyChunk(k: number, from: number, out: Float32Array, global: Float32Array): void {
    if (this.updates === 0) throw new Error('no update has been added: there is no mean to take');
    if (global.length !== out.length) {
      throw new Error(`applyChunk: ${global.length} global values for ${out.length} outputs`);
    }
    this.sum.read(k, this.weight, out, global, from);
  }

  private read(base?: readonly WeightTensor[]): WeightTensor[] {
    if (this.updates === 0) throw new Error('no update has been added: there is no mean to take');
    return this.layout.map((t, k) => {
      const out = new Float32Array(size(t.shape));
      this.sum.read(k, this.weight, out, base?.[k]?.values);
      return { name: t.name, shape: [...t.shape], values: out };
    });
  }

  /** The update's tensors in layout order, or an UpdateRejected('layout_mismatch') naming the tensor. */
  private matchLayout<T extends UpdateTensor>(update: readonly T[], what = 'update'): T[] {
    const ordered: (T | undefined)[] = new Array(this.layout.length);
    for (const t of update) {
      const k = this.index.get(t.name);
      const mismatch = (message: string): UpdateRejected =>
        new UpdateRejected('layout_mismatch', message, t.name);
      if (k === undefined) throw mismatch(`is not in the global model (${what} has an extra tensor)`);
      if (ordered[k] !== undefined) throw mismatch(`appears twice in the ${what}`);
      const expected = (this.layout[k] as LayoutEntry).shape;
      if (!sameShape(t.shape, expected)) {
        throw mismatch(`has shape ${shapeText(t.shape)}, the global model has ${shapeText(expected)}`);
      }
      if ('values' in t && t.values.length !== size(expected)) {
        throw mismatch(`has ${t.values.length} values for shape ${shapeText(expected)}`);
      }
      ordered[k] = t;
    }
    const missing = this.layout.findIndex((_, k) => ordered[k] === undefined);
    if (missing >= 0) {
      const name = (this.layout[missing] as LayoutEntry).name;
      throw new UpdateRejected('layout_mismatch', `is missing from the ${what}`, name);
    }
    return ordered as T[];
  }

  /** `alongside`: updates checked or folded with this one that are not counted yet. */
  private checkWeight(nSamples: number, alongside: number): void {
    if (!Number.isInteger(nSamples) || nSamples < 1 || nSamples > N_MAX) {
      throw new UpdateRejected('bad_weight', `nSamples ${nSamples} is not an integer in 1..${N_MAX}`);
    }
    if (this.updates + alongside >= K_MAX) {
      throw new UpdateRejected('too_many_updates', `a round takes at most ${K_MAX} updates`);
    }
  }

  /**
   * The rejection of an update whose Σ n·max|δ| for tensor k, with the round's so far and `others`
   * (pending updates' share), would leave the tensor's range; undefined when it stays within.
   */
  private outOfRange(
    k: number,
    name: string,
    nSamples: number,
    maxAbs: number,
    others = 0,
  ): UpdateRejected | undefined {
    const range = this.sum.range(k);
    const share = range / this.shares;
    if (nSamples * maxAbs > share) {
      return new UpdateRejected(
        'out_of_range',
        `this update's n·max|δ| = ${nSamples} samples × ${maxAbs} exceeds its share of the round's range, ` +
          `${share} (2²⁵ × the tensor's scale ${this.sum.scales[k]} / ${this.shares} sites) — diverged training, or a weight it should not have?`,
        name,
      );
    }
    if ((this.used[k] as number) + others + nSamples * maxAbs > range) {
      return new UpdateRejected(
        'out_of_range',
        `the round's updates move it too far: Σ n·max|δ| would exceed ${range} ` +
          `(2²⁵ × the tensor's scale ${this.sum.scales[k]}); this update's max |δ| is ${maxAbs} × ${nSamples} samples — diverged training?`,
        name,
      );
    }
    return undefined;
  }

  private badValue(t: UpdateTensor, i: number, n: number, cap: number): UpdateRejected {
    const one = new Float32Array(1);
    readTensor(t, i, one);
    const v = one[0] as number;
    return Number.isFinite(v)
      ? new UpdateRejected(
          'out_of_range',
          `value ${v} at index ${i} exceeds ±${cap}, the limit for an update of ${n} samples (2²⁵ × the tensor's scale / n)`,
          t.name,
          i,
        )
      : new UpdateRejected('non_finite', `value ${v} at index ${i} is not finite`, t.name, i);
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
