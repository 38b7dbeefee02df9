import { sharedMemory, type SharedMemory, WASM_MAX_BYTES } from './grid-fold-kernel';

/**
 * Where everything lives in a GridSum's shared wasm memory — the one memory that the kernel, the
 * thread that stages updates and the worker thread (fold-worker.ts) all work on:
 *
 *   byte 0                            RING control blocks of BLOCK_INTS Int32 words (the words
 *                                     below: a job and its results), the quit flag and the post
 *                                     counter (fold-ring.ts), padded to 64 bytes: CONTROL_BYTES
 *   CONTROL_BYTES                     RING slots of SLOT_BYTES: a job's chunk of CHUNK_FLOATS float32
 *                                     of each of its one or two updates
 *   CONTROL_BYTES + RING·SLOT_BYTES   per tensor in layout order, its accumulator: one float64 per
 *                                     element, each starting on a 16-byte boundary (v128 loads)
 *
 * @example
 * const memory = new FoldMemory([3, 5]);
 * memory.accumulatorAt(1, 0); // CONTROL_BYTES + RING * SLOT_BYTES + 32: tensor 0's 24 bytes, padded to 16
 * memory.controlF64[(blockOf(2) >> 1) + F64_W]; // the weight w of slot 2's job
 */

/** Slots in the ring: jobs staged ahead of the worker, and one this thread folds itself. */
export const RING = 4;
/** Floats per update per job: a slot holds two updates' chunks, 1 MiB. */
export const CHUNK_FLOATS = 1 << 17;
/** Bytes of one slot. */
export const SLOT_BYTES = 2 * 4 * CHUNK_FLOATS;
/** Int32 words per control block. */
const BLOCK_INTS = 16;
/** Int32 index of the flag that tells the worker to exit. */
export const QUIT = RING * BLOCK_INTS;
/** Int32 index of the post counter: bumped at every post, the worker sleeps on it when idle. */
export const SEQ = QUIT + 1;
/** Bytes before the first slot: the control blocks, the quit flag and the counter, 64-byte aligned. */
export const CONTROL_BYTES = Math.ceil((4 * (SEQ + 1)) / 64) * 64;

// Words of a control block (Int32 index from the block's start, or Float32/Float64 as named). The
// kernel's `run` (wasm/grid-fold.wat) reads and writes them at these offsets × 4 (× 8 for Float64).
export const W_STATE = 0; // the job's state (fold-ring.ts)
export const W_OP = 1; // 1: fold(acc, x, n, w, cap); 2: fold2(acc, x, y, n, w, wy, cap, capy)
export const W_ACC = 2;
export const W_X = 3;
export const W_Y = 4;
export const W_N = 5;
export const W_STOP = 6; // result: first index of x outside its cap, or n
export const W_STOP2 = 7; // result: the same for y
export const F32_CAP = 8;
export const F32_CAPY = 9;
export const F32_MAXABS = 10; // result
export const F32_MAXABS2 = 11; // result
export const F64_W = 6; // Float64 index from the block's start (Int32 words 12–13)
export const F64_WY = 7; // (Int32 words 14–15)

/** Int32 index of slot s's control block. */
export const blockOf = (s: number): number => s * BLOCK_INTS;
/** Byte offset of slot s's staged values. */
export const slotOffset = (s: number): number => CONTROL_BYTES + s * SLOT_BYTES;
/** The control blocks, the quit flag and the post counter, as Int32 words. */
export const controlWords = (buffer: SharedArrayBuffer): Int32Array =>
  new Int32Array(buffer, 0, CONTROL_BYTES / 4);

/** The shared memory of a layout of tensors (element counts `sizes`), and views of its parts. */
export class FoldMemory {
  /** The WebAssembly.Memory. */
  readonly wasm: SharedMemory;
  /** The whole memory as float32: slots are staged through it. */
  readonly floats: Float32Array;
  readonly control: Int32Array;
  readonly controlF32: Float32Array;
  readonly controlF64: Float64Array;
  /** Byte offset of each tensor's accumulator. */
  private readonly offsets: number[] = [];

  constructor(sizes: readonly number[]) {
    let end = CONTROL_BYTES + RING * SLOT_BYTES;
    for (const size of sizes) {
      this.offsets.push(end);
      end += Math.ceil((8 * size) / 16) * 16;
    }
    if (end > WASM_MAX_BYTES) {
      const params = sizes.reduce((a, b) => a + b, 0);
      throw new Error(
        `the accumulator for ${params} parameters needs ${(end / 2 ** 30).toFixed(2)} GiB; wasm memory holds at most 4 GiB (about 536 million parameters)`,
      );
    }
    this.wasm = sharedMemory(end);
    const buffer = this.wasm.buffer;
    this.floats = new Float32Array(buffer);
    this.control = controlWords(buffer);
    this.controlF32 = new Float32Array(buffer, 0, CONTROL_BYTES / 4);
    this.controlF64 = new Float64Array(buffer, 0, CONTROL_BYTES / 8);
  }

  /** Byte offset of element `from` of tensor k's accumulator. */
  accumulatorAt(k: number, from: number): number {
    return (this.offsets[k] as number) + 8 * from;
  }

  /** Elements [from, from + length) of tensor k's accumulator (a view, not a copy). */
  accumulator(k: number, from: number, length: number): Float64Array {
    return new Float64Array(this.wasm.buffer, this.accumulatorAt(k, from), length);
  }
}
