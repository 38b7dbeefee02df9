import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MaskRemovalJob } from './mask-removal';

/** The compiled helper; under ts-jest (sources) the package's built copy. */
function workerFile(): string {
  const here = join(__dirname, 'mask-removal-worker.js');
  return existsSync(here) ? here : join(__dirname, '..', 'dist', 'mask-removal-worker.js');
}

/**
 * The process's helper threads for unmaskings (mask-removal-worker.ts), started ahead of need and
 * kept: a `MaskedSum` that will use H helpers reserves them when it is made, so they start and
 * warm up — the wasm kernel run until optimised, the keystream's code compiled — while the masked
 * inputs are still being added, and later rounds find them ready. A thread started at the unmasking
 * itself came too late and ran its first chunks cold, and took 30–115 of 306 chunks (README). The
 * threads never keep the process alive (`unref`); {@link close} ends them (the coordinator's shutdown).
 * A thread that dies is dropped, and the next reservation starts another.
 *
 * @example
 * maskRemovalHelpers.reserve(1);        // with the round's MaskedSum
 * removeMasks(ring, masks);             // hands each helper one staging area's job
 * await maskRemovalHelpers.close();     // at shutdown
 */
export class MaskRemovalHelpers {
  private threads: Worker[] = [];

  /** Live threads (started or starting). */
  get size(): number {
    return this.threads.length;
  }

  /** Their thread ids (tests: the same threads serve one unmasking after another). */
  get threadIds(): readonly number[] {
    return this.threads.map((t) => t.threadId);
  }

  /**
   * Starts threads until `count` are live. Never throws: a thread that cannot be started is left
   * out, and its share of the chunks falls to the other threads.
   */
  reserve(count: number): void {
    while (this.threads.length < count) {
      let thread: Worker;
      try {
        // execArgv: [] — the helper is compiled JavaScript and needs none of the parent's loaders (tsx, say).
        thread = new Worker(workerFile(), { execArgv: [] });
      } catch {
        return;
      }
      thread.unref();
      // A job's failure comes back through its own port and control words; these only drop a thread
      // that is gone, and keep its error from becoming an uncaught exception.
      const drop = () => {
        this.threads = this.threads.filter((t) => t !== thread);
      };
      thread.on('error', drop);
      thread.on('exit', drop);
      this.threads.push(thread);
    }
  }

  /**
   * Hands `jobs[i]` to thread i (reserving threads first), transferring each job's port. Returns how
   * many were handed out: fewer when threads could not be had.
   */
  post(jobs: readonly MaskRemovalJob[]): number {
    this.reserve(jobs.length);
    let posted = 0;
    jobs.forEach((job, i) => {
      const thread = this.threads[i];
      if (thread === undefined) return;
      try {
        thread.postMessage(job, [job.port]);
        posted++;
      } catch {
        // a thread that is exiting: its chunks fall to the others
      }
    });
    return posted;
  }

  /** Ends every thread (and waits until they have ended); a later reservation starts new ones. */
  async close(): Promise<void> {
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

/** The helper threads of this process (a worker thread never starts helpers of its own). */
export const maskRemovalHelpers = new MaskRemovalHelpers();

/** Ends the process's unmasking helper threads: part of a clean shutdown (they never keep the process alive). */
export function closeMaskRemovalHelpers(): Promise<void> {
  return maskRemovalHelpers.close();
}
