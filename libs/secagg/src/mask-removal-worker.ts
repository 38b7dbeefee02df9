/**
 * A helper thread of an unmasking (started by mask-removal.ts `removeMasks` from this file's compiled
 * copy): a kernel on the sum's shared memory with its own staging area; it removes the masks from the
 * chunks it claims until none is left, then exits. A failure while it holds chunks is flagged in the
 * claims' control (the chunk it held may be half done: the sum is lost), its message posted on `port`
 * first; one before it claims anything leaves the chunks to the other threads.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { ChunkClaims, removeClaimedChunks, type MaskRemovalWorkerData } from './mask-removal';
import { RingKernel } from './ring-kernel';

if (isMainThread) {
  throw new Error('mask-removal-worker.ts is the body of a helper thread: start it with removeMasks');
}
const d = workerData as MaskRemovalWorkerData;
const claims = new ChunkClaims(Math.ceil(d.elements / d.chunk), d.control);
const message = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));
try {
  const ring = new RingKernel(d.elements, d.chunk, d.bits, {
    memory: d.memory,
    stage: d.stage,
    stages: d.stages,
  });
  const masks = Array.from(d.carried, (carried, i) => ({
    seed: d.seeds.subarray(32 * i, 32 * i + 32),
    carried: carried as 1 | -1,
  }));
  try {
    removeClaimedChunks(ring, masks, claims);
  } catch (e) {
    d.port.postMessage(message(e));
    claims.fail();
  }
} catch (e) {
  d.port.postMessage(message(e)); // set-up failed: nothing claimed, the other threads take every chunk
} finally {
  d.seeds.fill(0);
  d.port.close();
}
