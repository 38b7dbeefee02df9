import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { askToQuit, cancel, DONE, POSTED, RUNNING, stateOf } from './fold-ring';
import type { FoldMemory } from './fold-memory';
import type { CompiledModule, SharedMemory } from './grid-fold-kernel';

/**
 * The life cycle of a GridSum's fold worker thread (fold-worker.ts), seen from the thread that
 * stages the jobs:
 *  - not started → running: on the first fold that is to use it ({@link FoldWorkerThread.use}: by
 *    the `thread` option, the update's size and the cores); if no thread can be started, folds
 *    stay on this thread.
 *  - running → stopped: `close()` sets the quit flag and terminates it; so does a
 *    FinalizationRegistry when the GridSum is collected without close().
 *  - running → abandoned, the fault fallback: a posted job that the worker has not picked up within
 *    `pickupMs` (it did not start, or it died) is cancelled — by compare-and-swap, so it runs
 *    exactly once — and run on this thread, and the worker is not used again. It is told to quit,
 *    not terminated, so a job it is running finishes (terminating it mid-chunk would leave the
 *    chunk half-folded). A job it has been RUNNING for HUNG_MS throws.
 *
 * @example
 * const worker = new FoldWorkerThread(gridFoldModule(), memory, { thread: 'auto', params: 20e6 });
 * if (worker.use()) post(memory.control, s); // else run slot s's job here
 * if (worker.awaitJob(s) === 'reclaimed') runHere(s); // then read its results and release the slot
 * worker.close();
 */

/** Where the fold runs: 'auto' uses a worker thread for updates of {@link WORKER_MIN_FLOATS} or more when the machine has two cores. */
export type FoldThread = 'auto' | 'always' | 'never';
/** Floats per update from which 'auto' folds on the worker thread (below, the hand-over costs more than it saves). */
export const WORKER_MIN_FLOATS = 1 << 20;
/** How long a posted job may wait for the worker to pick it up before this thread runs it (and stops using the worker). */
const PICKUP_MS = 5000;
/** How long the worker may take over one job (≈ 1 ms of work) before it is declared hung. */
const HUNG_MS = 60_000;
/** Polls of a job's state before this thread sleeps on it. */
const SPINS = 1 << 20;

/** What fold-worker.ts is started with. */
export interface FoldWorkerData {
  readonly module: CompiledModule;
  readonly memory: SharedMemory;
}

/** The compiled worker; under ts-jest (sources) the package's built copy. */
export function foldWorkerFile(): string {
  const here = join(__dirname, 'fold-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', 'dist', 'fold-worker.js');
}

/** A started worker, and the words to tell it to quit. */
interface Started {
  readonly thread: Worker;
  readonly control: Int32Array;
}

/** Starts fold-worker.ts on `memory`; it does not keep the process alive. */
function startWorker(module: CompiledModule, memory: SharedMemory, control: Int32Array): Started {
  const workerData: FoldWorkerData = { module, memory };
  // execArgv: [] — the worker is compiled JavaScript and needs none of the parent's loaders (tsx, say).
  const thread = new Worker(foldWorkerFile(), { execArgv: [], workerData });
  thread.unref();
  // A worker that fails is noticed when its job is not picked up (awaitJob cancels it and the
  // caller folds it); the listener only keeps the failure from becoming an uncaught exception.
  thread.on('error', () => undefined);
  return { thread, control };
}

function stop(started: Started): void {
  askToQuit(started.control);
  void started.thread.terminate();
}

/** Stops the worker of a FoldWorkerThread (so of a GridSum) that was collected without close(). */
const orphans = new FinalizationRegistry<Started>(stop);

/** Options of {@link FoldWorkerThread}. */
export interface FoldWorkerOptions {
  readonly thread: FoldThread;
  /** Parameters of one update. */
  readonly params: number;
  /** How long a job may wait for the worker before this thread runs it itself (default 5 s). */
  readonly pickupMs?: number;
}

export class FoldWorkerThread {
  /** The worker once started; null when it is not to be used (closed, or it failed). */
  private started: Started | undefined | null;
  private readonly pickupMs: number;

  private readonly control: Int32Array;

  /** For the jobs of the ring in `memory`, run by the kernel `module`. */
  constructor(
    private readonly module: CompiledModule,
    private readonly memory: FoldMemory,
    private readonly options: FoldWorkerOptions,
  ) {
    this.control = memory.control;
    this.pickupMs = options.pickupMs ?? PICKUP_MS;
  }

  /** Whether this fold goes to the worker thread, starting it on first use. */
  use(): boolean {
    const { thread, params } = this.options;
    if (this.started === null || thread === 'never') return false;
    if (thread === 'auto' && (params < WORKER_MIN_FLOATS || availableParallelism() < 2)) return false;
    if (this.started === undefined) {
      try {
        this.started = startWorker(this.module, this.memory.wasm, this.control);
        orphans.register(this, this.started, this);
      } catch {
        this.started = null; // no thread to be had: fold here
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until slot s's job is DONE: 'done'. A job the worker has not picked up within `pickupMs`
   * is cancelled and the worker abandoned: 'reclaimed', the job is the caller's to run.
   */
  awaitJob(s: number): 'done' | 'reclaimed' {
    const c = this.control;
    const at = stateOf(s);
    const start = Date.now();
    for (let spin = 0; ; spin++) {
      const state = Atomics.load(c, at);
      if (state === DONE) return 'done';
      if (spin < SPINS) continue;
      const waited = Date.now() - start;
      if (state === POSTED && (this.started === null || waited > this.pickupMs)) {
        if (cancel(c, s)) {
          this.abandon();
          return 'reclaimed';
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

  /** Stops the worker thread, if one runs; folding goes on in the caller's thread. */
  close(): void {
    if (this.started) {
      orphans.unregister(this);
      stop(this.started);
    }
    this.started = null;
  }

  /** Stops using the worker: it is told to quit, not terminated, so a job it is running finishes. */
  private abandon(): void {
    if (this.started) {
      orphans.unregister(this);
      askToQuit(this.control);
    }
    this.started = null;
  }
}
