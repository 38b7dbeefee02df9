import { Worker } from 'node:worker_threads';

/**
 * The ring of staged fold jobs shared by the thread that stages updates and the worker thread that
 * folds them (grid-sum.ts). It lives at the start of the accumulators' shared wasm memory: RING
 * control blocks, then RING slots each holding one chunk of one or two updates.
 *
 * Job states (Int32 word 0 of a control block): FREE → POSTED (the stager) → RUNNING (the worker,
 * by compare-and-swap, taking posted jobs in any order) → DONE (the worker) → FREE (the stager, once
 * it has read the results). A job the worker has not claimed can be CANCELLED by the stager (the
 * same compare-and-swap), which then runs it itself: each job runs exactly once. The stager also
 * runs some jobs itself without posting them (grid-sum.ts), so both threads fold.
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
const SEQ = QUIT + 1;
/** Bytes before the first slot: the control blocks, the quit flag and the counter, 64-byte aligned. */
export const CONTROL_BYTES = Math.ceil((4 * (SEQ + 1)) / 64) * 64;

export const FREE = 0;
export const POSTED = 1;
export const RUNNING = 2;
export const DONE = 3;
export const CANCELLED = 4;

// Words of a control block (Int32 index from the block's start, or Float32/Float64 as named). The
// kernel's `run` (wasm/grid-fold.wat) reads and writes them at these offsets × 4 (× 8 for Float64).
export const W_STATE = 0;
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

/**
 * The worker: claims posted jobs (POSTED → RUNNING), oldest-slot-first, runs each with the kernel's
 * `run` and marks it DONE; sleeps on the post counter when there is nothing to do. Plain JavaScript,
 * run with `eval` so it needs no file of its own at run time.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const i32 = new Int32Array(memory.buffer, 0, ${SEQ + 1});
let next = 0;
while (Atomics.load(i32, ${QUIT}) === 0) {
  const seq = Atomics.load(i32, ${SEQ});
  let b = -1;
  for (let i = 0; i < ${RING}; i++) {
    const s = (next + i) % ${RING};
    if (Atomics.compareExchange(i32, ${BLOCK_INTS} * s, ${POSTED}, ${RUNNING}) === ${POSTED}) {
      b = ${BLOCK_INTS} * s;
      next = (s + 1) % ${RING};
      break;
    }
  }
  if (b < 0) {
    for (let i = 0; i < 20000 && Atomics.load(i32, ${SEQ}) === seq; i++);
    if (Atomics.load(i32, ${SEQ}) === seq) Atomics.wait(i32, ${SEQ}, seq, 200);
    continue;
  }
  k.run(4 * b);
  Atomics.store(i32, b, ${DONE});
  Atomics.notify(i32, b);
}
`;

/** A started fold worker, and how to stop it. */
export interface FoldWorker {
  readonly worker: Worker;
  stop(): void;
}

/**
 * Starts a worker on `memory` (shared) with the compiled kernel module. It does not keep the
 * process alive; `stop` sets the quit flag and terminates it.
 */
export function startFoldWorker(module: object, memory: { readonly buffer: SharedArrayBuffer }): FoldWorker {
  // execArgv: [] — the worker is plain JavaScript and needs none of the parent's loaders (tsx, say).
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory } });
  worker.unref();
  // A worker that fails is noticed when its job is not picked up (GridSum cancels it and folds it
  // itself); the listener only keeps the failure from becoming an uncaught exception.
  worker.on('error', () => undefined);
  const control = new Int32Array(memory.buffer, 0, SEQ + 1);
  return {
    worker,
    stop: () => {
      Atomics.store(control, QUIT, 1);
      Atomics.notify(control, SEQ);
      void worker.terminate();
    },
  };
}

/** Marks slot s's job POSTED and wakes the worker. */
export function post(control: Int32Array, s: number): void {
  Atomics.store(control, s * BLOCK_INTS + W_STATE, POSTED);
  Atomics.add(control, SEQ, 1);
  Atomics.notify(control, SEQ);
}

/** Int32 index of slot s's control block. */
export const blockOf = (s: number): number => s * BLOCK_INTS;
/** Byte offset of slot s's staged values. */
export const slotOffset = (s: number): number => CONTROL_BYTES + s * SLOT_BYTES;
