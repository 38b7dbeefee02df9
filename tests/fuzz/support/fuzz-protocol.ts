/** What the supervisor (fuzz-run.ts) hands the worker (fuzz-worker.ts), and what comes back. */
export interface FuzzJob {
  readonly target: string;
  /** The module whose `FUZZ_TARGETS` holds it (tests/fuzz/targets, or the engine's own test targets). */
  readonly targetsModule: string;
  readonly seed: number;
  /** Mutated inputs to run after the corpus (the deterministic budget of `npm test`). */
  readonly runs: number;
  /** A wall-clock budget as well (a long run), or null. */
  readonly seconds: number | null;
  /** Folders whose files are the starting corpus: the committed seeds and regression inputs. */
  readonly corpusDirs: readonly string[];
  /** Where inputs that found new coverage are written (a long run), or null. */
  readonly corpusOut: string | null;
  /** Layout in {@link CURRENT_INPUT}. */
  readonly shared: SharedArrayBuffer;
}

export interface WorkerReport {
  execs: number;
  corpus: number;
  features: number;
  slowest_ms: number;
  crash?: { input: Uint8Array; error: string; stack: string };
}

/**
 * The shared buffer: Int32 [execs, length of the current input], then the input's bytes — written
 * before each run, so the supervisor knows which input hung or ran out of memory.
 */
export const CURRENT_INPUT = { headerInts: 2, execs: 0, length: 1 } as const;
