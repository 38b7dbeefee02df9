/** Wall time in milliseconds of one run of a synchronous `f`, after a garbage collection when node runs with --expose-gc. */
export function timeMs(f: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Best wall time in milliseconds of a synchronous `f` over `runs` runs after one warm-up run, with a
 * garbage collection before each run when node runs with --expose-gc (bench/run.js passes it).
 */
export function bestOfMs(runs: number, f: () => void): number {
  f(); // warm-up
  let best = Infinity;
  for (let r = 0; r < runs; r++) best = Math.min(best, timeMs(f));
  return best;
}

/** Wall and CPU time of one run of `f` — what one core would take and what all took. */
export interface Timing {
  readonly wallMs: number;
  /**
   * CPU time (user + system) of the whole process over the run, every thread counted: process.cpuUsage
   * is getrusage(RUSAGE_SELF), which sums the process's threads on Linux, worker threads included.
   */
  readonly cpuMs: number;
}

/** {@link Timing} of one run of a synchronous `f`, after a garbage collection when node runs with --expose-gc. */
export function timeWallAndCpu(f: () => void): Timing {
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  f();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}
