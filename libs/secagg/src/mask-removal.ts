import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { maskRemovalHelpers } from './mask-removal-helpers';
import { DEFAULT_MASK_PRG, maskRange, type MaskPrg } from './mask-stream';
import { ringWords } from './ring';
import type { RingKernel, RingMemory } from './ring-kernel';

/** One mask to take off the sum: its seed, and the sign the inputs carried it with (+1: subtract it). */
export interface MaskToRemove {
  readonly seed: Uint8Array;
  readonly carried: 1 | -1;
}

/** Int32 words of the claims' control: the next chunk to claim, chunks done, and the failure flag. */
const NEXT = 0;
const DONE = 1;
const FAILED = 2;
/** How long the sum may go without a chunk done before a helper is declared hung (one chunk is milliseconds). */
const HUNG_MS = 60_000;

/**
 * The chunks of one unmasking, claimed one at a time by every thread that removes masks: each chunk
 * is claimed exactly once (an atomic counter), so each element range sees every mask removed by one
 * thread, and the sum is the same bit for bit whichever thread took which chunk, or how many there
 * were. A thread that finished its claims waits for the chunks others still hold.
 *
 * @example
 * const claims = new ChunkClaims(305);
 * for (let c = claims.claim(); c >= 0; c = claims.claim()) { removeChunk(c); claims.done(); }
 * claims.awaitAll(() => undefined);
 */
export class ChunkClaims {
  constructor(
    readonly chunks: number,
    readonly control = new Int32Array(new SharedArrayBuffer(3 * 4)),
  ) {}

  /** The next unclaimed chunk, or −1 when none is left or a thread failed. */
  claim(): number {
    if (Atomics.load(this.control, FAILED) !== 0) return -1;
    const c = Atomics.add(this.control, NEXT, 1);
    return c < this.chunks ? c : -1;
  }

  /** Marks a claimed chunk done, and wakes a thread waiting in {@link awaitAll}. */
  done(): void {
    Atomics.add(this.control, DONE, 1);
    Atomics.notify(this.control, DONE);
  }

  /** Marks the unmasking failed: the chunk this thread held is half done, the sum lost. */
  fail(): void {
    Atomics.store(this.control, FAILED, 1);
    Atomics.notify(this.control, DONE);
  }

  /** Waits until every chunk is done; throws when a thread failed (with `reason()`) or made no progress for a minute. */
  awaitAll(reason: () => string | undefined): void {
    const c = this.control;
    let seen = -1;
    let since = Date.now();
    for (;;) {
      if (Atomics.load(c, FAILED) !== 0) {
        throw new Error(
          `a mask-removal worker thread failed (${reason() ?? 'no reason given'}): the sum is lost; run the round again`,
        );
      }
      const done = Atomics.load(c, DONE);
      if (done >= this.chunks) return;
      if (done !== seen) {
        seen = done;
        since = Date.now();
      } else if (Date.now() - since > HUNG_MS) {
        throw new Error(
          `a mask-removal worker thread held a chunk for ${HUNG_MS / 1000} s: it is hung; the sum is lost, restart the process`,
        );
      }
      Atomics.wait(c, DONE, done, 100);
    }
  }
}

/**
 * Removes `masks` from the chunks this thread claims: for each, every mask's keystream (mask-stream.ts)
 * into this kernel's stage, subtracted from (or, carried with −, added to) the sum. Used by the
 * thread that owns the sum and by each helper (mask-removal-worker.ts). Returns the chunks it took.
 */
export function removeClaimedChunks(
  ring: RingKernel,
  masks: readonly MaskToRemove[],
  claims: ChunkClaims,
  prg: MaskPrg = DEFAULT_MASK_PRG,
): number {
  let taken = 0;
  const words = ringWords(ring.bits);
  const bytes = (4 * words) as 4 | 8;
  for (let c = claims.claim(); c >= 0; c = claims.claim()) {
    const from = c * ring.chunk;
    const count = Math.min(ring.chunk, ring.elements - from);
    const m = ring.stage.subarray(0, words * count);
    for (const k of masks) {
      maskRange(k.seed, from, m, bytes, prg);
      if (k.carried > 0) ring.sub(from, count);
      else ring.add(from, count);
    }
    claims.done();
    taken++;
  }
  return taken;
}

/** One unmasking's work for a helper thread (mask-removal-worker.ts), posted to it by {@link removeMasks}. */
export interface MaskRemovalJob {
  readonly memory: RingMemory;
  readonly elements: number;
  readonly chunk: number;
  readonly bits: 32 | 64;
  readonly stage: number;
  readonly stages: number;
  readonly control: Int32Array<SharedArrayBuffer>;
  /** The seeds, 32 bytes each, concatenated (the helper gets a copy of its own, and zeroes it after the job). */
  readonly seeds: Uint8Array;
  readonly carried: Int8Array;
  readonly prg: MaskPrg;
  /** Where the helper reports a failure. */
  readonly port: MessagePort;
}

/**
 * Removes `masks` from the whole of `ring`'s sum, chunk by chunk, on this thread and on one helper
 * thread per further staging area of its memory (`ring.stages − 1`): the process's helpers
 * (mask-removal-helpers.ts), reserved when the sum was made and kept warm across rounds. The work is
 * shared by claims, so a helper that is late, busy or gone only leaves more chunks to this thread;
 * the result is the same bit for bit (tested). No helper touches the sum after this returns: each
 * writes only chunks it claimed, and every chunk is done by then. With `workHere` false this thread
 * only waits while the helpers do everything (how the tests run a helper alone), unless none could
 * be had. Returns the chunks this thread removed the masks from, of how many.
 */
export function removeMasks(
  ring: RingKernel,
  masks: readonly MaskToRemove[],
  { workHere = true, prg = DEFAULT_MASK_PRG }: { readonly workHere?: boolean; readonly prg?: MaskPrg } = {},
): { readonly here: number; readonly chunks: number } {
  const claims = new ChunkClaims(Math.ceil(ring.elements / ring.chunk));
  const ports: MessagePort[] = [];
  const seeds = new Uint8Array(32 * masks.length);
  masks.forEach((k, i) => seeds.set(k.seed, 32 * i));
  const carried = Int8Array.from(masks, (k) => k.carried);
  try {
    const jobs: MaskRemovalJob[] = [];
    for (let stage = 1; stage < ring.stages && masks.length > 0; stage++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      jobs.push({
        memory: ring.memory,
        elements: ring.elements,
        chunk: ring.chunk,
        bits: ring.bits,
        stage,
        stages: ring.stages,
        control: claims.control,
        seeds,
        carried,
        prg,
        port: port2,
      });
    }
    const posted = jobs.length > 0 ? maskRemovalHelpers.post(jobs) : 0;
    const here = workHere || posted === 0 ? removeClaimedChunks(ring, masks, claims, prg) : 0;
    claims.awaitAll(() => {
      for (const port of ports) {
        const m = receiveMessageOnPort(port);
        if (m) return String(m.message);
      }
      return undefined;
    });
    return { here, chunks: claims.chunks };
  } finally {
    seeds.fill(0);
    for (const port of ports) port.close();
  }
}
