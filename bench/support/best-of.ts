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
