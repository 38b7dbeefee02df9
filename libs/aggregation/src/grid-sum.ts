import { GRID_FOLD_WASM_BASE64 } from './grid-fold.wasm';

import { availableParallelism } from 'node:os';
import {
  blockOf,
  CANCELLED,
  CHUNK_FLOATS,
  CONTROL_BYTES,
  DONE,
  F32_CAP,
  F32_CAPY,
  F32_MAXABS,
  F32_MAXABS2,
  F64_W,
  F64_WY,
  type FoldWorker,
  FREE,
  post,
  POSTED,
  QUIT,
  RING,
  RUNNING,
  SLOT_BYTES,
  slotOffset,
  startFoldWorker,
  W_ACC,
  W_N,
  W_OP,
  W_STATE,
  W_STOP,
  W_STOP2,
  W_X,
  W_Y,
} from './fold-ring';

/**
 * Order-independent accumulation of n·δ (n a sample count, δ a float32) in ONE float64 per element:
 * each term is rounded to a per-tensor grid q, after which every addition is exact, so the
 * accumulator is a function of the set of terms, never of their order — StreamingFedAvg's result is
 * bit-identical for any arrival order. 8 bytes per parameter (the earlier two-limb form took 16).
 *
 * Grid. Each tensor has a scale M = 2^e, the smallest power of two ≥ max(1, max |g|) over the global
 * tensor g the deltas apply to (1 when none is given), and the grid q = M·2⁻²⁶. A round's terms
 * must satisfy Σᵢ nᵢ·max|δᵢ| ≤ R = M·2²⁵ for that tensor (2²⁵ ≈ 33.5 M sample-units of the
 * tensor's largest weight; an update that would pass it is rejected as out of range).
 *
 * Proof (IEEE 754 binary64, round to nearest even; "exact" = no rounding happens):
 *  1. w = n·2²⁶/M is exact (n ≤ 2²⁴ integer, M a power of two); x·w for a float32 x is exact (24 + 24
 *     significant bits ≤ 53), and equals n·x/q.
 *  2. Per element the kernel requires |x| ≤ cap = R/n (rounded down to float32), so |x·w| ≤ 2⁵¹.
 *  3. r = nearest(x·w), the nearest integer with ties to even (wasm f64x2.nearest, IEEE
 *     roundToIntegralTiesToEven: one instruction, no rounding error beyond the intended one). r
 *     depends on the term alone; |r| ≤ 2⁵¹, and r = −r' for the term's negation (ties to even is
 *     symmetric).
 *  4. Integers of magnitude ≤ 2⁵³ are doubles, so adding integers whose running sum stays there is
 *     exact. The per-tensor bound Σ nᵢ·max|δᵢ| ≤ R over accepted updates gives Σ|r| ≤ 2⁵¹ + K/2
 *     (K ≤ 2¹⁴ terms). At most two updates are ever folded before their range is checked (a pair,
 *     `fold2`; either may then be undone), each term of magnitude ≤ 2⁵¹ by step 2, so every partial
 *     sum stays within 3·2⁵¹ + K/2 < 2⁵³. A pair's two terms are added to each other first: an
 *     integer ≤ 2⁵², exact, so the element ends as the two single folds leave it.
 *  5. No element is ever −0: elements start at +0, and under round to nearest x + y is −0 only when
 *     x and y are both −0 (r may be −0, but the element it is added to never is).
 * Hence each element holds Σ r exactly, and the mean read from it, (Σ r)·q / W (+ base) rounded to
 * float32, is order-independent.
 *
 * Error. |r·q − n·x| ≤ q/2 per term, so the mean differs from the exact Σ nᵢδᵢ / W by at most
 * K·q / (2W) ≤ q/2 = M·2⁻²⁷ (K ≤ W since every n ≥ 1) — 7.5e-9 for M = 1 in the worst case of one
 * sample per site, 5e-11 with 150 samples per site. The exact sum of the earlier two-limb form
 * would need 16 bytes per parameter.
 *
 * The fold runs in a wasm SIMD kernel (`wasm/grid-fold.wat`) on chunks staged in the module's
 * shared memory, which also holds the accumulators. Per parameter it reads 4 bytes of update and
 * reads and writes 8 of accumulator, so folding two updates in one pass (`fold2`) moves 24 bytes
 * where two passes move 40. For large updates a worker thread runs the kernel while this thread
 * stages the next chunks (fold-ring.ts): staging (a copy, or a read from the update's file) and
 * folding overlap, and this thread folds one job in four itself. Measured on the 2-core machine,
 * 20 M parameters, in three idle runs of bench/aggregation.bench.ts: 13.4–13.8 ms per update one at
 * a time (1.61–1.70× a memcpy of the update in the same run) and 11.0–12.4 two at a time
 * (1.28–1.56×); on this thread alone 20–27 and 17–23. An earlier worker that folded two of every
 * three chunks after this thread had staged all three, so that staging did not overlap folding,
 * was slower than none. */

/** Most updates per round: the slack of step 4. */
export const K_MAX = 2 ** 14;
/** Largest sample count of one update (step 1). */
export const N_MAX = 2 ** 24;
/** log₂ of a tensor's range R in units of its scale M. */
export const RANGE_LOG2 = 25;
/** log₂ of a tensor's grid q in units of its scale M. */
export const GRID_LOG2 = -26;

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

/** Where the fold runs: 'auto' uses a worker thread for updates of {@link WORKER_MIN_FLOATS} or more when the machine has two cores. */
export type FoldThread = 'auto' | 'always' | 'never';
/** Floats per update from which 'auto' folds on the worker thread (below, the hand-over costs more than it saves). */
export const WORKER_MIN_FLOATS = 1 << 20;
/** How long a posted job may wait for the worker to pick it up before this thread runs it (and stops using the worker). */
const PICKUP_MS = 5000;
/** How long the worker may take over one job (≈ 1 ms of work) before it is declared hung. */
const HUNG_MS = 60_000;
/**
 * With the worker, this thread folds one job in HERE_EVERY itself. Measured (20 M parameters, 2
 * cores): 4 to 6 best and alike, 2 and 3 slower, never 15–30 % slower.
 */
const HERE_EVERY = 4;
/** Polls of a job's state before this thread sleeps on it. */
const SPINS = 1 << 20;

interface GridFoldExports {
  /** Runs the fold job of the control block at this byte offset (fold-ring.ts), results written there. */
  run(block: number): void;
}

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => {
    readonly buffer: SharedArrayBuffer;
  };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
function gridFoldModule(): object {
  compiled ??= new wasm.Module(Buffer.from(GRID_FOLD_WASM_BASE64, 'base64'));
  return compiled;
}

/** The scale M of a tensor whose largest |value| is `maxAbs`: the least power of two ≥ max(1, maxAbs). */
export function gridScale(maxAbs: number): number {
  if (!(maxAbs > 1)) return 1;
  let e = Math.ceil(Math.log2(maxAbs));
  if (2 ** e < maxAbs) e++;
  return 2 ** e;
}

/** The largest float32 ≤ v (v > 0 finite). */
function float32AtMost(v: number): number {
  const f = Math.fround(v);
  if (f <= v) return f;
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  bits[0] = (bits[0] as number) - 1;
  return new Float32Array(bits.buffer)[0] as number;
}

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

/** Stops the worker of a GridSum that was collected without close(). */
const orphans = new FinalizationRegistry<FoldWorker>((w) => w.stop());

/**
 * The accumulators of a layout of tensors (element counts `sizes`, scales from {@link gridScale}).
 *
 * Updates are staged chunk by chunk into a ring in the module's shared memory (fold-ring.ts) and
 * folded by the wasm kernel — on a worker thread for large updates, while this thread stages the
 * next chunks, so reading the update and folding it overlap; or here. Either way each chunk is
 * folded exactly once by the same kernel, so the sums are the same bit for bit.
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
  /** Parameters of one update: Σ sizes. */
  private readonly params: number;
  private readonly offsets: number[] = [];
  private readonly memory: { readonly buffer: SharedArrayBuffer };
  private readonly kernel: GridFoldExports;
  private readonly floats: Float32Array;
  private readonly control: Int32Array;
  private readonly controlF32: Float32Array;
  private readonly controlF64: Float64Array;
  private readonly thread: FoldThread;
  /** The worker once started; null when it is not to be used (closed, or it failed). */
  private worker: FoldWorker | undefined | null;
  private readonly pickupMs: number;
  /** Whether a fold has touched the accumulators' pages yet. */
  private touched = false;
  /** Set when a fold stopped part-way: why the accumulators can no longer be used. */
  private failure: string | undefined;

  constructor(sizes: readonly number[], scales: readonly number[], options: GridSumOptions = {}) {
    if (sizes.length !== scales.length) throw new Error('GridSum needs one scale per tensor');
    this.sizes = [...sizes];
    this.params = sizes.reduce((a, b) => a + b, 0);
    this.scales = [...scales];
    this.thread = options.thread ?? 'auto';
    this.pickupMs = options.pickupMs ?? PICKUP_MS;
    let end = CONTROL_BYTES + RING * SLOT_BYTES;
    for (const size of sizes) {
      this.offsets.push(end);
      end += Math.ceil((8 * size) / 16) * 16;
    }
    const pages = Math.ceil(end / WASM_PAGE);
    if (pages > MAX_PAGES) {
      throw new Error(
        `the accumulator for ${this.params} parameters needs ${(end / 2 ** 30).toFixed(2)} GiB; wasm memory holds at most 4 GiB (about 536 million parameters)`,
      );
    }
    this.memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new wasm.Instance(gridFoldModule(), { env: { memory: this.memory } });
    this.kernel = instance.exports as unknown as GridFoldExports;
    const buffer = this.memory.buffer;
    this.floats = new Float32Array(buffer);
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.controlF32 = new Float32Array(buffer, 0, CONTROL_BYTES / 4);
    this.controlF64 = new Float64Array(buffer, 0, CONTROL_BYTES / 8);
    // Started now, so that it is up by the first fold (starting a thread takes tens of ms).
    this.useWorker();
  }

  /** The per-element limit on |δ| for an update of n samples in tensor k (step 2). */
  cap(k: number, n: number): number {
    return float32AtMost((this.scale(k) * 2 ** RANGE_LOG2) / n);
  }

  /** The tensor's range R = M·2²⁵ (step 4). */
  range(k: number): number {
    return this.scale(k) * 2 ** RANGE_LOG2;
  }

  /**
   * Folds sign·n·values of one update, or of two in one pass over each accumulator (the `fold2`
   * kernel: every element ends bit for bit as the two single folds leave it, since the two terms
   * are integers ≤ 2⁵¹ and are added to each other exactly first). Every tensor is folded whole; a
   * value beyond its cap or not finite is folded as 0 and reported, so folding the same update
   * with sign −1 undoes it exactly (step 3). If reading a value throws, the error is passed on and
   * this GridSum refuses all further use: it would hold part of an update.
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
    const threaded = this.touched && this.useWorker();
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
          if (threaded && posted % HERE_EVERY !== HERE_EVERY - 1) post(this.control, s);
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
    if (this.worker) {
      orphans.unregister(this);
      this.worker.stop();
    }
    this.worker = null;
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
    const acc = new Float64Array(this.memory.buffer, (this.offsets[k] as number) + 8 * from, out.length);
    const q = this.scale(k) * 2 ** GRID_LOG2;
    if (base === undefined) {
      for (let i = 0; i < out.length; i++) out[i] = ((acc[i] as number) * q) / totalWeight;
    } else {
      for (let i = 0; i < out.length; i++)
        out[i] = (base[i] as number) + ((acc[i] as number) * q) / totalWeight;
    }
  }

  /** A copy of tensor k's accumulator: the exact sums Σ r, in units of its grid q. */
  sums(k: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.offsets[k] as number, this.sizes[k] as number).slice();
  }

  /** Whether this fold goes to the worker thread, starting it on first use. */
  private useWorker(): boolean {
    if (this.worker === null || this.thread === 'never') return false;
    if (this.thread === 'auto' && (this.params < WORKER_MIN_FLOATS || availableParallelism() < 2))
      return false;
    if (this.worker === undefined) {
      try {
        this.worker = startFoldWorker(gridFoldModule(), this.memory);
        orphans.register(this, this.worker, this);
      } catch {
        this.worker = null; // no thread to be had: fold here
        return false;
      }
    }
    return true;
  }

  /** Copies the chunk [from, from + count) of tensor k of each update into slot s and sets its job. */
  private stage(s: number, k: number, from: number, count: number, updates: readonly GridFoldInput[]): void {
    const b = blockOf(s);
    const x = slotOffset(s);
    updates.forEach((u, j) => {
      const at = x / 4 + j * CHUNK_FLOATS;
      readValues(u.tensors[k] as Values, from, this.floats.subarray(at, at + count));
      const n = u.n;
      this.controlF64[(b >> 1) + (j === 0 ? F64_W : F64_WY)] =
        ((u.sign ?? 1) * n * 2 ** -GRID_LOG2) / this.scale(k);
      this.controlF32[b + (j === 0 ? F32_CAP : F32_CAPY)] = this.cap(k, n);
    });
    const c = this.control;
    c[b + W_OP] = updates.length;
    c[b + W_ACC] = (this.offsets[k] as number) + 8 * from;
    c[b + W_X] = x;
    c[b + W_Y] = x + 4 * CHUNK_FLOATS;
    c[b + W_N] = count;
  }

  /** Runs slot s's job on this thread, as the worker does (the kernel's `run`). */
  private runHere(s: number): void {
    this.kernel.run(4 * blockOf(s));
    Atomics.store(this.control, blockOf(s) + W_STATE, DONE);
  }

  /** Waits for slot s's job, takes its results into `outs` and frees the slot. */
  private collect(s: number, job: Job, outs: { bad: (number | undefined)[]; maxAbs: Float64Array }[]): void {
    this.waitDone(s);
    const b = blockOf(s);
    const n = this.control[b + W_N] as number;
    job.members.forEach((j, i) => {
      const out = outs[j] as { bad: (number | undefined)[]; maxAbs: Float64Array };
      const stop = this.control[b + (i === 0 ? W_STOP : W_STOP2)] as number;
      if (stop < n && out.bad[job.k] === undefined) out.bad[job.k] = job.from + stop;
      const m = this.controlF32[b + (i === 0 ? F32_MAXABS : F32_MAXABS2)] as number;
      if (m > (out.maxAbs[job.k] as number)) out.maxAbs[job.k] = m;
    });
    Atomics.store(this.control, b + W_STATE, FREE);
  }

  /**
   * Waits until slot s's job is DONE. A job the worker has not picked up within PICKUP_MS (it did
   * not start, or it is gone) is cancelled — by compare-and-swap, so it runs exactly once — and run
   * here, and the worker is not used again.
   */
  private waitDone(s: number): void {
    const c = this.control;
    const at = blockOf(s) + W_STATE;
    const start = Date.now();
    for (let spin = 0; ; spin++) {
      const state = Atomics.load(c, at);
      if (state === DONE) return;
      if (spin < SPINS) continue;
      const waited = Date.now() - start;
      if (state === POSTED && (this.worker === null || waited > this.pickupMs)) {
        if (Atomics.compareExchange(c, at, POSTED, CANCELLED) === POSTED) {
          this.abandonWorker();
          this.runHere(s);
          return;
        }
        continue;
      }
      if (state === RUNNING && waited > HUNG_MS) {
        throw new Error(
          `the fold worker thread has spent ${HUNG_MS / 1000} s on one 1 MiB chunk: it is hung; restart the process`,
        );
      }
      Atomics.wait(c, at, state, 10);
    }
  }

  /**
   * Stops using the worker: it is told to quit, not terminated, so a job it is running finishes
   * (terminating it mid-chunk would leave the chunk half-folded).
   */
  private abandonWorker(): void {
    if (this.worker) {
      orphans.unregister(this);
      Atomics.store(this.control, QUIT, 1);
    }
    this.worker = null;
  }

  /** Throws once a fold has stopped part-way: the sums are then of no set of whole updates. */
  private usable(): void {
    if (this.failure !== undefined) throw new Error(this.failure);
  }

  private scale(k: number): number {
    return this.scales[k] as number;
  }
}
