import { Session } from 'node:inspector';

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { ranges: CoverageRange[] }[];
}

/** AFL's hit-count buckets: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+ (a loop that runs more is new). */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

/**
 * Coverage feedback from V8's precise block coverage (the inspector's `Profiler.takePreciseCoverage`
 * with call counts, which resets the counts on every take): a feature is one range of the code under
 * test with its hit-count bucket, 0 included — V8 folds a block that ran as often as its enclosing
 * function into that function's range, so reaching a new branch shows as its range no longer (or
 * newly) reported with count 0. Only scripts whose URL passes `include` count (the project's own
 * built libraries and apps, not node_modules or the fuzzer itself).
 */
export class BlockCoverage {
  private readonly session = new Session();
  private readonly seen = new Set<string>();

  constructor(private readonly include: (url: string) => boolean) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Features seen so far. */
  get size(): number {
    return this.seen.size;
  }

  /** Takes the coverage of what ran since the last call; returns how many features are new. */
  collect(): number {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    for (const script of result) {
      if (!this.include(script.url)) continue;
      for (const fn of script.functions) {
        for (const r of fn.ranges) {
          const key = `${script.url}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`;
          if (!this.seen.has(key)) {
            this.seen.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  }

  close(): void {
    this.session.disconnect();
  }

  /** An in-thread inspector session answers synchronously. */
  private post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    this.session.post(method, params, (err, res) => {
      failure = err;
      out = res;
    });
    if (failure) throw failure;
    return out;
  }
}
