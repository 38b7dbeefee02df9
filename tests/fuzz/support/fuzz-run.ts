import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CURRENT_INPUT, type FuzzJob, type WorkerReport } from './fuzz-protocol';

export const FUZZ_ROOT = path.join(__dirname, '..', '..', '..', 'fuzz');

export interface FuzzOptions {
  readonly target: string;
  /** The module exporting `FUZZ_TARGETS` (default tests/fuzz/targets). */
  readonly targetsModule?: string;
  readonly seed: number;
  readonly runs: number;
  readonly seconds?: number | null;
  /** An input still running after this long is a hang (generous: CI shares 2 cores). */
  readonly hangMs?: number;
  /** The worker's heap limit: an input that allocates past it fails as out of memory. */
  readonly heapMb?: number;
  readonly corpusOut?: string | null;
}

export type FuzzFailure = { kind: 'crash' | 'hang' | 'out_of_memory'; input: Uint8Array; error: string };

export interface FuzzResult {
  readonly target: string;
  readonly execs: number;
  readonly corpus: number;
  readonly features: number;
  readonly slowest_ms: number;
  readonly seconds: number;
  readonly failure: FuzzFailure | null;
}

/** Seeds and regression inputs of a target, under `fuzz/<target>/`. */
export function corpusDirs(target: string): string[] {
  return ['seeds', 'regressions'].map((d) => path.join(FUZZ_ROOT, target, d));
}

const MAX_INPUT_BYTES = 1 << 20;

/**
 * Fuzzes one target in a worker thread (fuzz-worker.ts): its committed seeds and regression inputs
 * first, then `runs` mutated inputs (and at most `seconds`), keeping those that reach new blocks.
 * Watches the worker: an input running longer than `hangMs` is a hang, one that exhausts the
 * `heapMb` heap is out of memory; both are reported with the input that did it.
 */
export function runFuzzer(options: FuzzOptions): Promise<FuzzResult> {
  const hangMs = options.hangMs ?? 10_000;
  const shared = new SharedArrayBuffer(CURRENT_INPUT.headerInts * 4 + MAX_INPUT_BYTES);
  const job: FuzzJob = {
    target: options.target,
    targetsModule: options.targetsModule ?? path.join(__dirname, '..', 'targets'),
    seed: options.seed,
    runs: options.runs,
    seconds: options.seconds ?? null,
    corpusDirs: corpusDirs(options.target),
    corpusOut: options.corpusOut ?? null,
    shared,
  };
  const header = new Int32Array(shared, 0, CURRENT_INPUT.headerInts);
  const current = (): Uint8Array => {
    const n = Atomics.load(header, CURRENT_INPUT.length);
    return new Uint8Array(shared, CURRENT_INPUT.headerInts * 4, n).slice();
  };
  const started = Date.now();
  const workerFile = path.join(__dirname, 'fuzz-worker.ts');
  // The worker loads TypeScript through tsx, whatever runs the supervisor (jest, or tsx itself).
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(workerFile)});`, {
    eval: true,
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? 512 },
    stdout: false,
    stderr: false,
  });
  return new Promise((resolve, reject) => {
    let lastExecs = -1;
    let lastChange = Date.now();
    let settled = false;
    const finish = (report: Partial<WorkerReport>, failure: FuzzFailure | null): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      void worker.terminate();
      resolve({
        target: options.target,
        execs: report.execs ?? Atomics.load(header, CURRENT_INPUT.execs),
        corpus: report.corpus ?? 0,
        features: report.features ?? 0,
        slowest_ms: report.slowest_ms ?? 0,
        seconds: (Date.now() - started) / 1000,
        failure,
      });
    };
    const watchdog = setInterval(
      () => {
        const execs = Atomics.load(header, CURRENT_INPUT.execs);
        if (execs !== lastExecs) {
          lastExecs = execs;
          lastChange = Date.now();
        } else if (execs > 0 && Date.now() - lastChange > hangMs) {
          finish({}, { kind: 'hang', input: current(), error: `an input ran for more than ${hangMs} ms` });
        }
      },
      Math.min(250, hangMs / 4),
    );
    worker.on('message', (r: WorkerReport) =>
      finish(
        r,
        r.crash ? { kind: 'crash', input: r.crash.input, error: `${r.crash.error}\n${r.crash.stack}` } : null,
      ),
    );
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish({}, { kind: 'out_of_memory', input: current(), error: e.message });
      } else if (!settled) {
        settled = true;
        clearInterval(watchdog);
        reject(e);
      }
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        clearInterval(watchdog);
        reject(new Error(`fuzz worker of ${options.target} exited with code ${code} before reporting`));
      }
    });
  });
}
