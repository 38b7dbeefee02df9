import { GRID_FOLD_WASM_BASE64 } from './grid-fold.wasm';

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
 * The fold runs in a wasm SIMD kernel (`wasm/grid-fold.wat`) over 1 MiB chunks staged in the
 * module's memory, which also holds the accumulators. Per parameter it reads 4 bytes of update and
 * reads and writes 8 of accumulator, so folding two updates in one pass (`fold2`, {@link
 * GridSum.foldPair}) moves 24 bytes where two passes move 40. A worker thread folding two of every
 * three chunks was measured on the 2-core machine and was slower (17.3–18.9 vs 15.1–17.0 ms per
 * 20 M values), so there is none.
 */

/** Most updates per round: the slack of step 4. */
export const K_MAX = 2 ** 14;
/** Largest sample count of one update (step 1). */
export const N_MAX = 2 ** 24;
/** log₂ of a tensor's range R in units of its scale M. */
export const RANGE_LOG2 = 25;
/** log₂ of a tensor's grid q in units of its scale M. */
export const GRID_LOG2 = -26;

/** Floats per staged chunk: 1 MiB, which stays in L2 while it is folded (measured: faster than 256 KiB). */
export const STAGE_FLOATS = 1 << 18;
const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

/** Floats per update per staged chunk when two updates are folded together: the two share the stage. */
export const PAIR_FLOATS = 1 << 16;

interface GridFoldExports {
  fold(acc: number, x: number, n: number, w: number, cap: number): number;
  fold2(
    acc: number,
    x: number,
    y: number,
    n: number,
    w: number,
    wy: number,
    cap: number,
    capy: number,
  ): number;
  readonly maxabs: { readonly value: number };
  readonly maxabs2: { readonly value: number };
  readonly bad2: { readonly value: number };
}

/** The part of the WebAssembly JS API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
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

/** What one fold did: values [0, folded) were folded; `bad` is the first value beyond the cap or not finite. */
export interface FoldOutcome {
  readonly folded: number;
  readonly bad: number | undefined;
  readonly maxAbs: number;
}

/**
 * The accumulators of a layout of tensors (element counts `sizes`, scales from {@link gridScale}).
 *
 * @example
 * const sum = new GridSum([3], [1]);
 * sum.fold(0, new Float32Array([0.5, -1, 2]), 4, 1); // { folded: 3, bad: undefined, maxAbs: 2 }
 * const out = new Float32Array(3);
 * sum.read(0, 4, out); // [0.5, -1, 2]
 */
export class GridSum {
  readonly scales: readonly number[];
  private readonly sizes: readonly number[];
  private readonly offsets: number[] = [];
  private readonly memory: { readonly buffer: ArrayBuffer };
  private readonly kernel: GridFoldExports;
  private readonly stage: Float32Array;

  constructor(sizes: readonly number[], scales: readonly number[]) {
    if (sizes.length !== scales.length) throw new Error('GridSum needs one scale per tensor');
    this.sizes = [...sizes];
    this.scales = [...scales];
    let end = 4 * STAGE_FLOATS;
    for (const size of sizes) {
      this.offsets.push(end);
      end += Math.ceil((8 * size) / 16) * 16;
    }
    const pages = Math.ceil(end / WASM_PAGE);
    if (pages > MAX_PAGES) {
      const params = sizes.reduce((a, b) => a + b, 0);
      throw new Error(
        `the accumulator for ${params} parameters needs ${(end / 2 ** 30).toFixed(2)} GiB; wasm memory holds at most 4 GiB (about 536 million parameters)`,
      );
    }
    this.memory = new wasm.Memory({ initial: pages, maximum: pages });
    const instance = new wasm.Instance(gridFoldModule(), { env: { memory: this.memory } });
    this.kernel = instance.exports as unknown as GridFoldExports;
    this.stage = new Float32Array(this.memory.buffer, 0, STAGE_FLOATS);
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
   * Folds sign·n·values[0, to) into tensor k, chunk by chunk, stopping after the chunk holding the
   * first value beyond {@link cap} or not finite (such a value is folded as 0; undo with sign −1 over
   * `folded` values). `values.length` must be the tensor's size; `start` skips values already folded.
   */
  fold(k: number, values: Values, n: number, sign: 1 | -1, to = values.length, start = 0): FoldOutcome {
    const w = (sign * n * 2 ** -GRID_LOG2) / this.scale(k);
    const cap = this.cap(k, n);
    const base = this.offsets[k] as number;
    let maxAbs = 0;
    for (let from = start; from < to; from += STAGE_FLOATS) {
      const count = Math.min(STAGE_FLOATS, to - from);
      readValues(values, from, this.stage.subarray(0, count));
      const stop = this.kernel.fold(base + 8 * from, 0, count, w, cap);
      maxAbs = Math.max(maxAbs, this.kernel.maxabs.value);
      if (stop < count) return { folded: from + count, bad: from + stop, maxAbs };
    }
    return { folded: to, bad: undefined, maxAbs };
  }

  /**
   * Folds n·a and nb·b into tensor k in one pass over its accumulator (the `fold2` kernel): the
   * accumulator is read and written once for the two, where two {@link fold}s would stream it
   * twice, and every element ends bit for bit as those two folds leave it (the two terms are
   * integers ≤ 2⁵¹, so adding them first is exact). Once one of them meets a bad value, the
   * other goes on alone; each outcome is what {@link fold} would report for it.
   */
  foldPair(k: number, a: Values, n: number, b: Values, nb: number): [FoldOutcome, FoldOutcome] {
    const size = a.length;
    const w = (n * 2 ** -GRID_LOG2) / this.scale(k);
    const wb = (nb * 2 ** -GRID_LOG2) / this.scale(k);
    const cap = this.cap(k, n);
    const capB = this.cap(k, nb);
    const base = this.offsets[k] as number;
    let maxA = 0;
    let maxB = 0;
    for (let from = 0; from < size; from += PAIR_FLOATS) {
      const count = Math.min(PAIR_FLOATS, size - from);
      readValues(a, from, this.stage.subarray(0, count));
      readValues(b, from, this.stage.subarray(PAIR_FLOATS, PAIR_FLOATS + count));
      const stopA = this.kernel.fold2(base + 8 * from, 0, 4 * PAIR_FLOATS, count, w, wb, cap, capB);
      const stopB = this.kernel.bad2.value;
      maxA = Math.max(maxA, this.kernel.maxabs.value);
      maxB = Math.max(maxB, this.kernel.maxabs2.value);
      if (stopA < count || stopB < count) {
        const end = from + count;
        const outA = { folded: end, bad: stopA < count ? from + stopA : undefined, maxAbs: maxA };
        const outB = { folded: end, bad: stopB < count ? from + stopB : undefined, maxAbs: maxB };
        if (outA.bad === undefined) return [alsoFolded(outA, this.fold(k, a, n, 1, size, end)), outB];
        if (outB.bad === undefined) return [outA, alsoFolded(outB, this.fold(k, b, nb, 1, size, end))];
        return [outA, outB];
      }
    }
    return [
      { folded: size, bad: undefined, maxAbs: maxA },
      { folded: size, bad: undefined, maxAbs: maxB },
    ];
  }

  /**
   * out[i] = float32((Σ r)·q / totalWeight (+ base[i])) for elements [from, from + out.length) of
   * tensor k (base, when given, holds the same elements): one rounding for the division, one for
   * the addition, one to float32.
   */
  read(k: number, totalWeight: number, out: Float32Array, base?: Float32Array, from = 0): void {
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

  private scale(k: number): number {
    return this.scales[k] as number;
  }
}

/** A fold's outcome followed by the fold of the rest of the same tensor. */
function alsoFolded(first: FoldOutcome, rest: FoldOutcome): FoldOutcome {
  return { folded: rest.folded, bad: rest.bad, maxAbs: Math.max(first.maxAbs, rest.maxAbs) };
}
