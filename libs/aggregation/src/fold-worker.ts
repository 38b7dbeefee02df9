/**
 * The fold worker thread (started by fold-worker-thread.ts from this file's compiled copy): its own
 * instance of the kernel on the GridSum's shared memory; it claims posted jobs, oldest slot first,
 * runs each with the kernel's `run` and marks it DONE, and sleeps on the post counter when there is
 * nothing to do, until told to quit (fold-ring.ts).
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { blockOf, controlWords, RING } from './fold-memory';
import { awaitPost, claim, complete, postCount, quitting } from './fold-ring';
import type { FoldWorkerData } from './fold-worker-thread';
import { instantiateGridFold } from './grid-fold-kernel';

if (isMainThread) {
  throw new Error('fold-worker.ts is the body of the fold worker thread: start it with FoldWorkerThread');
}
// Not `const { module }`: a top-level `module` would make Node load this file as an ES module.
const { module: compiled, memory } = workerData as FoldWorkerData;
const kernel = instantiateGridFold(compiled, memory);
const control = controlWords(memory.buffer);
let next = 0;
while (!quitting(control)) {
  const seq = postCount(control);
  const s = claim(control, next);
  if (s < 0) {
    awaitPost(control, seq);
    continue;
  }
  next = (s + 1) % RING;
  kernel.run(4 * blockOf(s));
  complete(control, s);
}
