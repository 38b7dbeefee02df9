import {
  blockOf,
  CHUNK_FLOATS,
  F32_CAP,
  F32_CAPY,
  F32_MAXABS,
  F32_MAXABS2,
  F64_W,
  F64_WY,
  FoldMemory,
  RING,
  slotOffset,
  W_ACC,
  W_N,
  W_OP,
  W_STOP,
  W_STOP2,
  W_X,
  W_Y,
} from './fold-memory';
import { markDone, post, release } from './fold-ring';
import { type FoldThread, FoldWorkerThread } from './fold-worker-thread';
import { type GridFoldKernel, gridFoldModule, instantiateGridFold } from './grid-fold-kernel';
import { gridCap, gridRange, gridStep, termWeight } from './grid';

/**
 * With the worker, this thread folds one job in HERE_EVERY itself. Measured (20 M parameters, 2
 * cores): 4 to 6 best and alike, 2 and 3 slower, never 15–30 % slower.
 */
const HERE_EVERY = 4;

/** A tensor's values: in memory, or read on demand (`read` fills `into` with [from, from + into.length)). */
export type Values = Float32Array | { readonly length: number; read(from: number, into: Float32Array): void };

/** Copies values [from, from + into.length) of `values` into `into`. */
export function readValues(values: Values, from: number, into: Float32Array): void {
  if (values instanceof Float32Array) into.set(values.subarray(from, from + into.length));
  else values.read(from, into);
}

/** One update of {@link GridSum.foldUpdates}: its values per tensor (layout order) and sample count. */
export interface GridFoldInput {
  readonly tensors: readonly Values[];
  readonly n: number;
  /** −1 subtracts exactly what +1 (the default) added. */
  readonly sign?: 1 | -1;
}

/** What folding one update found: per tensor, the first value beyond its cap or not finite, and max |x|. */
export interface UpdateFold {
  readonly bad: readonly (number | undefined)[];
  /** Per tensor, the largest |value| among those within the cap. */
  readonly maxAbs: Float64Array;
}

/** Options of {@link GridSum}. */
export interface GridSumOptions {
  readonly thread?: FoldThread;
  /** How long a job may wait for the worker before this thread runs it itself (default 5 s). */
  readonly pickupMs?: number;
}

/** A job in the ring: a chunk of tensor k, of the updates at these indices of the batch. */
interface Job {
  readonly k: number;
  readonly from: number;
  readonly members: readonly number[];
}

/**
 * The accumulators of a layout of tensors (element counts `sizes`, scales from `gridScale`):
 * order-independent sums of n·δ on each tensor's grid (grid.ts has the arithmetic and its proof).
 *
 * Updates are staged chunk by chunk into a ring of slots in a shared wasm memory (fold-memory.ts,
 * fold-ring.ts) and folded by the wasm kernel (grid-fold-kernel.ts). For large updates a worker
 * thread (fold-worker-thread.ts) runs the kernel while this thread stages the next chunks, so
 * staging (a copy, or a read from the update's file) and folding overlap, and this thread folds
 * one job in four itself; otherwise every job is folded here. Either way each chunk is folded
 * exactly once by the same kernel, so the sums are the same bit for bit. Per parameter the kernel
 * reads 4 bytes of update and reads and writes 8 of accumulator, so folding two updates in one
 * pass (`fold2`) moves 24 bytes where two passes move 40.
 *
 * Measured on the 2-core machine, 20 M parameters, in three idle runs of
 * bench/aggregation.bench.ts: 13.4–13.8 ms per update one at a time (1.61–1.70× a memcpy of the
 * update in the same run) and 11.0–12.4 two at a time (1.28–1.56×); on this thread alone 20–27 and
 * 17–23. An earlier worker that folded two of every three chunks after this thread had staged all
 * three, so that staging did not overlap folding, was slower than none.
 *
 * @example
 * const sum = new GridSum([3], [1]);
 * sum.foldUpdates([{ tensors: [new Float32Array([0.5, -1, 2])], n: 4 }]); // [{ bad: [undefined], maxAbs: [2] }]
 * const out = new Float32Array(3);
 * sum.read(0, 4, out); // [0.5, -1, 2]
 */
export class GridSum {
  readonly scales: readonly number[];
  private readonly sizes: readonly number[];
  private readonly memory: FoldMemory;
  private readonly kernel: GridFoldKernel;
  private readonly worker: FoldWorkerThread;
  /** Whether a fold has touched the accumulators' pages yet. */
  private touched = false;
  /** Set when a fold stopped part-way: why the accumulators can no longer be used. */
  private failure: string | undefined;

  constructor(sizes: readonly number[], scales: readonly number[], options: GridSumOptions = {}) {
    if (sizes.length !== scales.length) throw new Error('GridSum needs one scale per tensor');
    this.sizes = [...sizes];
    this.scales = [...scales];
    this.memory = new FoldMemory(sizes);
    const module = gridFoldModule();
    this.kernel = instantiateGridFold(module, this.memory.wasm);
    this.worker = new FoldWorkerThread(module, this.memory, {
      thread: options.thread ?? 'auto',
      params: sizes.reduce((a, b) => a + b, 0),
      pickupMs: options.pickupMs,
    });
    // Started now, so that it is up by the first fold (starting a thread takes tens of ms).
    this.worker.use();
  }

  /** The per-element limit on |δ| for an update of n samples in tensor k (grid.ts, step 2). */
  cap(k: number, n: number): number {
    return gridCap(this.scale(k), n);
  }

  /** The tensor's range R = M·2²⁵ (grid.ts, step 4). */
  range(k: number): number {
    return gridRange(this.scale(k));
  }

  /**
   * Folds sign·n·values of one update, or of two in one pass over each accumulator (the `fold2`
   * kernel: every element ends bit for bit as the two single folds leave it, since the two terms
   * are integers ≤ 2⁵¹ and are added to each other exactly first). Every tensor is folded whole; a
   * value beyond its cap or not finite is folded as 0 and reported, so folding the same update
   * with sign −1 undoes it exactly (grid.ts, step 3). If reading a value throws, the error is
   * passed on and this GridSum refuses all further use: it would hold part of an update.
   */
  foldUpdates(updates: readonly GridFoldInput[]): UpdateFold[] {
    this.usable();
    if (updates.length < 1 || updates.length > 2) throw new Error('foldUpdates takes one or two updates');
    for (const u of updates) {
      if (u.tensors.length !== this.sizes.length) {
        throw new Error(`an update of ${u.tensors.length} tensors for a layout of ${this.sizes.length}`);
      }
    }
    const outs = updates.map(() => ({
      bad: this.sizes.map((): number | undefined => undefined),
      maxAbs: new Float64Array(this.sizes.length),
    }));
    // The first fold touches every page of the accumulators first; the kernel faults them in 3–4×
    // faster from one thread than from two (measured, 160 MB: 190–230 ms against 740–950).
    const threaded = this.touched && this.worker.use();
    this.touched = true;
    const inFlight: (Job | undefined)[] = new Array<Job | undefined>(RING).fill(undefined);
    let posted = 0;
    const members = updates.map((_, j) => j);
    const drain = (): void => {
      for (let i = Math.max(0, posted - RING); i < posted; i++) {
        const s = i % RING;
        const job = inFlight[s];
        if (job !== undefined) this.collect(s, job, outs);
        inFlight[s] = undefined;
      }
    };
    try {
      for (let k = 0; k < this.sizes.length; k++) {
        const size = this.sizes[k] as number;
        for (let from = 0; from < size; from += CHUNK_FLOATS) {
          const s = posted % RING;
          const previous = inFlight[s];
          if (previous !== undefined) this.collect(s, previous, outs);
          inFlight[s] = undefined;
          const count = Math.min(CHUNK_FLOATS, size - from);
          this.stage(s, k, from, count, updates);
          inFlight[s] = { k, from, members };
          // With the worker, this thread also folds one job in HERE_EVERY: staging alone would
          // leave it idle while the worker folds.
          if (threaded && posted % HERE_EVERY !== HERE_EVERY - 1) post(this.memory.control, s);
          else this.runHere(s);
          posted++;
        }
      }
    } catch (e) {
      // A read failed part-way (a truncated file, say): refuse to go on with these accumulators,
      // and let the jobs already handed over finish, so nothing writes to them after this.
      this.failure = `a fold stopped part-way (${e instanceof Error ? e.message : String(e)}), so the accumulator holds part of an update: start a new one`;
      drain();
      throw e;
    }
    drain();
    return outs;
  }

  /** Stops the worker thread, if one runs; folding goes on in this thread. */
  close(): void {
    this.worker.close();
  }

  /**
   * out[i] = float32((Σ r)·q / totalWeight (+ base[i])) for elements [from, from + out.length) of
   * tensor k (base, when given, holds the same elements): one rounding for the division, one for
   * the addition, one to float32.
   */
  read(k: number, totalWeight: number, out: Float32Array, base?: Float32Array, from = 0): void {
    this.usable();
    const size = this.sizes[k] as number;
    if (from < 0 || from + out.length > size) {
      throw new RangeError(
        `elements ${from}..${from + out.length} are outside tensor ${k} (${size} elements)`,
      );
    }
    const acc = this.memory.accumulator(k, from, out.length);
    const q = gridStep(this.scale(k));
    if (base === undefined) {
      for (let i = 0; i < out.length; i++) out[i] = ((acc[i] as number) * q) / totalWeight;
    } else {
      for (let i = 0; i < out.length; i++)
        out[i] = (base[i] as number) + ((acc[i] as number) * q) / totalWeight;
    }
  }

  /** A copy of tensor k's accumulator: the exact sums Σ r, in units of its grid q. */
  sums(k: number): Float64Array {
    return this.memory.accumulator(k, 0, this.sizes[k] as number).slice();
  }

  /** Copies the chunk [from, from + count) of tensor k of each update into slot s and sets its job. */
  private stage(s: number, k: number, from: number, count: number, updates: readonly GridFoldInput[]): void {
    const { floats, control: c, controlF32, controlF64 } = this.memory;
    const b = blockOf(s);
    const x = slotOffset(s);
    updates.forEach((u, j) => {
      const at = x / 4 + j * CHUNK_FLOATS;
      readValues(u.tensors[k] as Values, from, floats.subarray(at, at + count));
      controlF64[(b >> 1) + (j === 0 ? F64_W : F64_WY)] = termWeight(u.n, this.scale(k), u.sign);
      controlF32[b + (j === 0 ? F32_CAP : F32_CAPY)] = this.cap(k, u.n);
    });
    c[b + W_OP] = updates.length;
    c[b + W_ACC] = this.memory.accumulatorAt(k, from);
    c[b + W_X] = x;
    c[b + W_Y] = x + 4 * CHUNK_FLOATS;
    c[b + W_N] = count;
  }

  /** Runs slot s's job on this thread, as the worker does (the kernel's `run`). */
  private runHere(s: number): void {
    this.kernel.run(4 * blockOf(s));
    markDone(this.memory.control, s);
  }

  /**
   * Waits for slot s's job (running it here if the worker did not take it), takes its results into
   * `outs` and frees the slot.
   */
  private collect(s: number, job: Job, outs: { bad: (number | undefined)[]; maxAbs: Float64Array }[]): void {
    if (this.worker.awaitJob(s) === 'reclaimed') this.runHere(s);
    const { control, controlF32 } = this.memory;
    const b = blockOf(s);
    const n = control[b + W_N] as number;
    job.members.forEach((j, i) => {
      const out = outs[j] as { bad: (number | undefined)[]; maxAbs: Float64Array };
      const stop = control[b + (i === 0 ? W_STOP : W_STOP2)] as number;
      if (stop < n && out.bad[job.k] === undefined) out.bad[job.k] = job.from + stop;
      const m = controlF32[b + (i === 0 ? F32_MAXABS : F32_MAXABS2)] as number;
      if (m > (out.maxAbs[job.k] as number)) out.maxAbs[job.k] = m;
    });
    release(control, s);
  }

  /** Throws once a fold has stopped part-way: the sums are then of no set of whole updates. */
  private usable(): void {
    if (this.failure !== undefined) throw new Error(this.failure);
  }

  private scale(k: number): number {
    return this.scales[k] as number;
  }
}
