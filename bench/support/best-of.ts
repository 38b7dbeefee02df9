/**
 * Best wall time in milliseconds of a synchronous `f` over `runs` runs after one warm-up run, with a
 * garbage collection before each run when node runs with --expose-gc (bench/run.js passes it).
 */
export function bestOfMs(runs: number, f: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  f(); // warm-up
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    gc?.();
    const t0 = process.hrtime.bigint();
    f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}
