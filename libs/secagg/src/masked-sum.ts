import { gridStep, type WeightTensor } from '@fedaln/aggregation';
import { agreedKey } from './key-agreement';
import { maskRange } from './mask-stream';
import { decodeSigned, ringWords, type RingBits } from './ring';
import { RingKernel } from './ring-kernel';
import { SecAggError } from './secagg-error';
import type { UnmaskPlan } from './secagg-session';
import { gridMean, layoutRingBits, tensorOffsets, tensorSizes, type GridLayout } from './grid-input';
import { MASK_CHUNK, type MaskedChunk } from './secagg-site';

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
 */
export class MaskedSum {
  readonly length: number;
  readonly bits: RingBits;
  private readonly words: 1 | 2;
  private readonly ring: RingKernel;
  private unmasked: UnmaskPlan | undefined;

  constructor(readonly layout: GridLayout) {
    this.length = tensorOffsets(layout).at(-1) as number;
    this.bits = layoutRingBits(layout);
    this.words = ringWords(this.bits);
    this.ring = new RingKernel(this.length, MASK_CHUNK, this.bits);
  }

  /** Adds one masked chunk. */
  add(chunk: MaskedChunk): void {
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

  /** Removes the survivors' self masks and the pairwise masks they share with dropped sites, chunk by chunk. */
  unmask(plan: UnmaskPlan): void {
    if (this.unmasked !== undefined) throw new SecAggError('wrong_phase', 'the sum is already unmasked');
    const pairs: { seed: Buffer; sign: number }[] = [];
    for (const [d, key] of plan.droppedKeys) {
      for (const u of plan.survivors) {
        // yᵤ carried +PRG(s_{u,d}) if u < d, −PRG if u > d: take it back.
        pairs.push({ seed: agreedKey(key, u.sPublic, plan.roundTag, 'mask'), sign: u.site < d ? 1 : -1 });
      }
    }
    const chunk = this.ring.chunk;
    const bytes = (4 * this.words) as 4 | 8;
    for (let from = 0; from < this.length; from += chunk) {
      const count = Math.min(chunk, this.length - from);
      const m = this.ring.stage.subarray(0, this.words * count);
      for (const seed of plan.selfSeeds.values()) {
        maskRange(seed, from, m, bytes);
        this.ring.sub(from, count);
      }
      for (const p of pairs) {
        maskRange(p.seed, from, m, bytes);
        if (p.sign > 0) this.ring.sub(from, count);
        else this.ring.add(from, count);
      }
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
    if (this.unmasked === undefined)
      throw new SecAggError('wrong_phase', 'the sum is still masked: run unmask first');
    return this.unmasked;
  }
}
