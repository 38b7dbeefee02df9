import { blockOf, QUIT, RING, SEQ, W_STATE } from './fold-memory';

/**
 * The protocol of the ring of staged fold jobs shared by the thread that stages updates (grid-sum.ts)
 * and the worker thread that folds them (fold-worker.ts); where the ring lies is fold-memory.ts.
 * Every change of a job's state is one of the functions here.
 *
 * Job states (word W_STATE of a control block): FREE → POSTED (the stager, {@link post}) → RUNNING
 * (the worker, by compare-and-swap, taking posted jobs in any order: {@link claim}) → DONE (the
 * worker, {@link complete}) → FREE (the stager, once it has read the results: {@link release}). A
 * job the worker has not claimed can be CANCELLED by the stager (the same compare-and-swap:
 * {@link cancel}), which then runs it itself: each job runs exactly once. The stager also runs some
 * jobs itself without posting them ({@link markDone}), so both threads fold. The quit flag tells the
 * worker to exit once the job it runs, if any, is done.
 *
 * @example
 * post(control, s); // stager: slot s is staged
 * const t = claim(control, 0); // worker: t === s
 * complete(control, t); // worker, after kernel.run(4 * blockOf(t))
 * release(control, s); // stager, after reading the results
 */

export const FREE = 0;
export const POSTED = 1;
export const RUNNING = 2;
export const DONE = 3;
export const CANCELLED = 4;

/** Int32 index of slot s's state. */
export const stateOf = (s: number): number => blockOf(s) + W_STATE;

/** Stager: marks slot s's job POSTED and wakes the worker. */
export function post(control: Int32Array, s: number): void {
  Atomics.store(control, stateOf(s), POSTED);
  Atomics.add(control, SEQ, 1);
  Atomics.notify(control, SEQ);
}

/** Stager: marks slot s's job, run on this thread, DONE. */
export function markDone(control: Int32Array, s: number): void {
  Atomics.store(control, stateOf(s), DONE);
}

/** Stager: takes back slot s's job if the worker has not claimed it; then it is this thread's to run. */
export function cancel(control: Int32Array, s: number): boolean {
  return Atomics.compareExchange(control, stateOf(s), POSTED, CANCELLED) === POSTED;
}

/** Stager: frees slot s once its results are read. */
export function release(control: Int32Array, s: number): void {
  Atomics.store(control, stateOf(s), FREE);
}

/** Stager: tells the worker to exit, and wakes it if it sleeps. */
export function askToQuit(control: Int32Array): void {
  Atomics.store(control, QUIT, 1);
  Atomics.notify(control, SEQ);
}

/** Worker: whether it is to exit. */
export const quitting = (control: Int32Array): boolean => Atomics.load(control, QUIT) !== 0;

/** Worker: the post counter, read before looking for a job, for {@link awaitPost}. */
export const postCount = (control: Int32Array): number => Atomics.load(control, SEQ);

/** Worker: claims a posted job (POSTED → RUNNING), looking from slot `next` on; its slot, or −1. */
export function claim(control: Int32Array, next: number): number {
  for (let i = 0; i < RING; i++) {
    const s = (next + i) % RING;
    if (Atomics.compareExchange(control, stateOf(s), POSTED, RUNNING) === POSTED) return s;
  }
  return -1;
}

/** Worker: marks slot s's job DONE and wakes the stager if it waits on it. */
export function complete(control: Int32Array, s: number): void {
  Atomics.store(control, stateOf(s), DONE);
  Atomics.notify(control, stateOf(s));
}

/** Worker: waits for a post after `seq` (spinning a little, then sleeping up to 200 ms). */
export function awaitPost(control: Int32Array, seq: number): void {
  for (let i = 0; i < 20000 && Atomics.load(control, SEQ) === seq; i++);
  if (Atomics.load(control, SEQ) === seq) Atomics.wait(control, SEQ, seq, 200);
}
