/**
 * A helper thread of the unmaskings (started by mask-removal-helpers.ts from this file's compiled
 * copy, and kept for later rounds). First it warms up: its wasm kernel and the keystream run over a
 * scratch memory of its own, never the sum, until the kernel runs optimised code. Then, per job
 * (mask-removal.ts `removeMasks`): a kernel on that sum's shared memory with the job's own staging
 * area; it removes the masks from the chunks it claims until none is left. A failure while it
 * holds chunks is flagged in the claims' control (the chunk it held may be half done: the sum is
 * lost), its message posted on the job's port first; one before it claims anything leaves the
 * chunks to the other threads.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { ChunkClaims, removeClaimedChunks, type MaskRemovalJob } from './mask-removal';
import { maskRange } from './mask-stream';
import { RingKernel } from './ring-kernel';

if (isMainThread || parentPort === null) {
  throw new Error('mask-removal-worker.ts is the body of a helper thread: start it with removeMasks');
}

/** Elements of the warm-up's chunks, and how many times each kernel runs over one. */
const WARM_CHUNK = 1 << 14;
const WARM_RUNS = 64;

/**
 * Runs each of the four kernel functions (add and sub, both rings) WARM_RUNS times over a chunk of
 * keystream in a scratch memory: V8 first runs wasm from a baseline compile and tiers a function up
 * after it has run a while, so this spends that while before any job instead of on the sum's chunks.
 */
function warmUp(): void {
  const seed = new Uint8Array(32);
  for (const bits of [32, 64] as const) {
    const scratch = new RingKernel(WARM_CHUNK, WARM_CHUNK, bits);
    for (let r = 0; r < WARM_RUNS; r++) {
      maskRange(seed, r * WARM_CHUNK, scratch.stage, bits === 32 ? 4 : 8);
      scratch.add(0, WARM_CHUNK);
      scratch.sub(0, WARM_CHUNK);
    }
  }
}

const message = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

function run(job: MaskRemovalJob): void {
  const claims = new ChunkClaims(Math.ceil(job.elements / job.chunk), job.control);
  try {
    const ring = new RingKernel(job.elements, job.chunk, job.bits, {
      memory: job.memory,
      stage: job.stage,
      stages: job.stages,
    });
    const masks = Array.from(job.carried, (carried, i) => ({
      seed: job.seeds.subarray(32 * i, 32 * i + 32),
      carried: carried as 1 | -1,
    }));
    try {
      removeClaimedChunks(ring, masks, claims, job.prg);
    } catch (e) {
      job.port.postMessage(message(e));
      claims.fail();
    }
  } catch (e) {
    job.port.postMessage(message(e)); // set-up failed: nothing claimed, the other threads take every chunk
  } finally {
    job.seeds.fill(0);
    job.port.close();
  }
}

try {
  warmUp();
} catch {
  // a warm-up that fails costs only speed: the jobs report their own failures
}
parentPort.on('message', (job: MaskRemovalJob) => run(job));
