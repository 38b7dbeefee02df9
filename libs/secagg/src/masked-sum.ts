import { availableParallelism } from 'node:os';
import { gridStep, type WeightTensor } from '@fedaln/aggregation';
import { agreedKey } from './key-agreement';
import { removeMasks, type MaskToRemove } from './mask-removal';
import { maskRemovalHelpers } from './mask-removal-helpers';
import { keepFreedKeystreamMemory } from './mask-stream';
import { decodeSigned, ringWords, type RingBits } from './ring';
import { RingKernel } from './ring-kernel';
import { SecAggError } from './secagg-error';
import type { UnmaskPlan } from './secagg-session';
import { gridMean, layoutRingBits, tensorOffsets, tensorSizes, type GridLayout } from './grid-input';
import { MASK_CHUNK, type MaskedChunk } from './secagg-site';

/** Elements from which the unmasking shares its work with helper threads by default (below, starting one costs more than it saves). */
export const HELPER_MIN_ELEMENTS = 1 << 20;
/** Most helper threads an unmasking starts by default, whatever the cores. */
export const MAX_HELPERS = 3;

/** Options of {@link MaskedSum}. */
export interface MaskedSumOptions {
  /**
   * Helper threads that share the unmasking's keystream expansion with the caller's thread (0: none).
   * Default: one fewer than the cores, at most {@link MAX_HELPERS}, for vectors of
   * {@link HELPER_MIN_ELEMENTS} or more; else 0. The sum is the same bit for bit either way. They are
   * the process's helper threads (mask-removal-helpers.ts), started when the sum is made if they are
   * not running yet; `closeMaskRemovalHelpers` ends them.
   */
  readonly helpers?: number;
}

/**
 * The coordinator's accumulator: Σᵤ yᵤ mod 2⁶⁴ (or 2³² on a clipped layout) over the masked
 * inputs, 8 (4) bytes per element — at most the size of StreamingFedAvg's accumulator. It only ever holds a sum of masked inputs (each input is
 * added chunk by chunk as it streams in, never stored apart), until {@link unmask} removes the
 * masks: Σᵤ yᵤ − Σᵤ PRG(bᵤ) ∓ PRG(s_{u,d}) for each survivor u and dropped d = Σᵤ rᵤ, the
 * survivors' sum (Bonawitz et al. 2017, Fig. 4, Unmasking).
 *
 * @example
 * const sum = new MaskedSum(layout);
 * for (const chunk of siteChunks) sum.add(chunk);
 * sum.unmask(plan);               // plan from the session's `unmask` effect
 * sum.mean();                     // StreamingFedAvg's result over the survivors, bit for bit
 *
 * The unmasking regenerates every survivor's self mask (and the pairwise masks of the dropped): a
 * keystream of the whole vector per mask, by far the coordinator's largest cost. Its chunks are
 * shared among this thread and helper threads (mask-removal.ts) working on the same shared memory.
 */
export class MaskedSum {
  readonly length: number;
  readonly bits: RingBits;
  private readonly words: 1 | 2;
  private readonly ring: RingKernel;
  private unmasked: UnmaskPlan | undefined;
  /** Why the sum is lost (a helper thread failed mid-chunk), if it is. */
  private lost: string | undefined;

  constructor(
    readonly layout: GridLayout,
    options: MaskedSumOptions = {},
  ) {
    this.length = tensorOffsets(layout).at(-1) as number;
    this.bits = layoutRingBits(layout);
    this.words = ringWords(this.bits);
    const helpers =
      options.helpers ??
      (this.length >= HELPER_MIN_ELEMENTS ? Math.min(MAX_HELPERS, availableParallelism() - 1) : 0);
    if (!Number.isInteger(helpers) || helpers < 0) {
      throw new SecAggError(
        'bad_parameters',
        `helpers ${helpers} is not an integer ≥ 0 (0: no helper thread)`,
      );
    }
    this.ring = new RingKernel(this.length, MASK_CHUNK, this.bits, { stages: 1 + helpers });
    // Started now, the helpers warm up while the inputs are added (kept for later rounds).
    maskRemovalHelpers.reserve(helpers);
    // The unmasking's keystream pieces reuse freed memory (raised now, freed during the adds).
    keepFreedKeystreamMemory();
  }

  /** Helper threads the unmasking starts. */
  get helpers(): number {
    return this.ring.stages - 1;
  }

  /** Adds one masked chunk. */
  add(chunk: MaskedChunk): void {
    if (this.lost !== undefined) throw new Error(this.lost);
    if (this.unmasked !== undefined)
      throw new SecAggError('wrong_phase', 'the sum is already unmasked: no input may be added');
    const count = chunk.words.length / this.words;
    if (
      !Number.isInteger(count) ||
      !Number.isInteger(chunk.from) ||
      chunk.from < 0 ||
      chunk.from + count > this.length
    ) {
      throw new SecAggError(
        'bad_message',
        `a masked chunk of elements ${chunk.from}..${chunk.from + count} outside the vector of ${this.length}`,
      );
    }
    const stage = this.ring.stage;
    for (let at = 0; at < count; at += this.ring.chunk) {
      const part = Math.min(this.ring.chunk, count - at);
      stage.set(chunk.words.subarray(this.words * at, this.words * (at + part)));
      this.ring.add(chunk.from + at, part);
    }
  }

  /**
   * Removes the survivors' self masks and the pairwise masks they share with dropped sites, chunk by
   * chunk, on this thread and its helpers. If a helper fails mid-chunk the sum is lost: this throws,
   * and so does every later call.
   */
  unmask(plan: UnmaskPlan): void {
    if (this.unmasked !== undefined) throw new SecAggError('wrong_phase', 'the sum is already unmasked');
    if (this.lost !== undefined) throw new Error(this.lost);
    const masks: MaskToRemove[] = [...plan.selfSeeds.values()].map((seed) => ({ seed, carried: 1 }));
    for (const [d, key] of plan.droppedKeys) {
      for (const u of plan.survivors) {
        // yᵤ carried +PRG(s_{u,d}) if u < d, −PRG if u > d: take it back.
        masks.push({
          seed: agreedKey(key, u.sPublic, plan.roundTag, 'mask'),
          carried: u.site < d ? 1 : -1,
        });
      }
    }
    try {
      removeMasks(this.ring, masks, { prg: plan.prg });
    } catch (e) {
      this.lost = e instanceof Error ? e.message : String(e);
      throw e;
    }
    this.unmasked = plan;
  }

  /** The unmasked sum of tensor k in grid units (exact integers, as `GridSum.sums`). */
  sums(k: number): Float64Array {
    this.needUnmasked();
    const offsets = tensorOffsets(this.layout);
    const from = offsets[k] as number;
    const out = new Float64Array((offsets[k + 1] as number) - from);
    for (let i = 0; i < out.length; i++) out[i] = decodeSigned(this.ring.acc, from + i, this.bits);
    return out;
  }

  /**
   * The weighted mean delta Σᵢ nᵢ·δᵢ / Σᵢ nᵢ over the survivors as float32 tensors (StreamingFedAvg
   * `result`), or global + that mean when `global` is given (`applyTo`).
   */
  mean(global?: readonly WeightTensor[]): WeightTensor[] {
    const plan = this.needUnmasked();
    const sizes = tensorSizes(this.layout);
    return this.layout.tensors.map((t, k) => {
      const out = new Float32Array(sizes[k] as number);
      gridMean(
        this.sums(k),
        gridStep(this.layout.scales[k] as number),
        plan.totalWeight,
        out,
        global?.[k]?.values,
      );
      return { name: t.name, shape: [...t.shape], values: out };
    });
  }

  /** A view of the accumulator's words (for tests that check it never equals an input). */
  peek(): Uint32Array {
    return this.ring.acc;
  }

  private needUnmasked(): UnmaskPlan {
    if (this.lost !== undefined) throw new Error(this.lost);
    if (this.unmasked === undefined)
      throw new SecAggError('wrong_phase', 'the sum is still masked: run unmask first');
    return this.unmasked;
  }
}
