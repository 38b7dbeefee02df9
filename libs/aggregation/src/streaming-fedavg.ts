import { foldTwoLimb, K_MAX, N_MAX, readTwoLimb, T_MAX } from './two-limb-sum';
import { UpdateRejected } from './update-rejected';

/** A tensor of the global model's layout. */
export interface LayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A float32 tensor (structurally `NamedTensor` of `@fedaln/protocol`). */
export interface WeightTensor extends LayoutEntry {
  readonly values: Float32Array;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sample-weighted FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from
 * Decentralized Data", AISTATS 2017, Algorithm 1; Flower's `aggregate()` computes the same):
 *
 *   δ̄ = Σᵢ nᵢ·δᵢ / Σᵢ nᵢ,   new global = global + δ̄
 *
 * folded one update at a time into an exact two-limb fixed-point accumulator (`two-limb-sum.ts`):
 * memory is 16 bytes per parameter whatever the number of sites, and the result is bit-identical
 * for any arrival order (the accumulator holds the exact sum, proof in `two-limb-sum.ts`).
 *
 * Streaming granularity: one decoded update at a time (fold after decode). The coordinator streams
 * an upload's frames to the blob store while verifying its sha256, then decodes it and calls
 * {@link add}; folding frame by frame would fold bytes whose hash is not yet checked. An update is
 * validated while it is folded and, if any value is bad, the part already folded is subtracted
 * again — exactly, so a rejected update leaves the accumulator bit-for-bit as it was.
 *
 * @example
 * const fedavg = new StreamingFedAvg(globalWeights.map(({ name, shape }) => ({ name, shape })));
 * fedavg.add(deltaFromSiteA, 120);
 * fedavg.add(deltaFromSiteB, 80);
 * const next = fedavg.applyTo(globalWeights); // global + (120·δA + 80·δB) / 200
 */
export class StreamingFedAvg {
  private readonly layout: readonly LayoutEntry[];
  private readonly index = new Map<string, number>();
  private readonly acc: Float64Array[];
  private updates = 0;
  private weight = 0;

  constructor(layout: readonly LayoutEntry[]) {
    this.layout = layout.map(({ name, shape }) => ({ name, shape: [...shape] }));
    this.layout.forEach((t, i) => {
      if (this.index.has(t.name)) throw new Error(`layout names tensor "${t.name}" twice`);
      if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new Error(`layout tensor "${t.name}" has an invalid shape ${shapeText(t.shape)}`);
      }
      this.index.set(t.name, i);
    });
    this.acc = this.layout.map((t) => new Float64Array(2 * t.shape.reduce((a, b) => a * b, 1)));
  }

  /** Updates folded so far. */
  get count(): number {
    return this.updates;
  }

  /** Σ nᵢ over the folded updates. */
  get totalWeight(): number {
    return this.weight;
  }

  /**
   * Folds nSamples × delta. Throws {@link UpdateRejected} (accumulator untouched) when the tensor
   * set or a shape differs from the layout, a value is not finite, |nSamples·δ| > 2²⁵, nSamples is
   * not an integer in 1…2²⁴, or 2¹⁴ updates are already in.
   */
  add(update: readonly WeightTensor[], nSamples: number): void {
    if (!Number.isInteger(nSamples) || nSamples < 1 || nSamples > N_MAX) {
      throw new UpdateRejected('bad_weight', `nSamples ${nSamples} is not an integer in 1..${N_MAX}`);
    }
    if (this.updates >= K_MAX) {
      throw new UpdateRejected('too_many_updates', `the accumulator is exact for at most ${K_MAX} updates`);
    }
    const ordered = this.matchLayout(update);
    for (let k = 0; k < ordered.length; k++) {
      const values = (ordered[k] as WeightTensor).values;
      const stop = foldTwoLimb(this.acc[k] as Float64Array, values, nSamples, 1, 0, values.length);
      if (stop < values.length) {
        foldTwoLimb(this.acc[k] as Float64Array, values, nSamples, -1, 0, stop);
        for (let j = 0; j < k; j++) {
          const done = (ordered[j] as WeightTensor).values;
          foldTwoLimb(this.acc[j] as Float64Array, done, nSamples, -1, 0, done.length);
        }
        throw this.badValue(ordered[k] as WeightTensor, stop, nSamples);
      }
    }
    this.updates++;
    this.weight += nSamples;
  }

  /**
   * The weighted mean delta δ̄ as float32 tensors in layout order.
   *
   * @example
   * fedavg.result()[0].values; // Float32Array of Σ nᵢ·δᵢ / Σ nᵢ
   */
  result(): WeightTensor[] {
    return this.read();
  }

  /**
   * New global weights: global + δ̄, each element rounded once to float32 from float64.
   *
   * @example
   * const next = fedavg.applyTo(globalWeights);
   */
  applyTo(global: readonly WeightTensor[]): WeightTensor[] {
    return this.read(this.matchLayout(global, 'global'));
  }

  private read(base?: readonly WeightTensor[]): WeightTensor[] {
    if (this.updates === 0) throw new Error('no update has been added: there is no mean to take');
    return this.layout.map((t, k) => {
      const out = new Float32Array((this.acc[k] as Float64Array).length / 2);
      readTwoLimb(this.acc[k] as Float64Array, this.weight, out, base?.[k]?.values);
      return { name: t.name, shape: [...t.shape], values: out };
    });
  }

  /** The update's tensors in layout order, or an UpdateRejected('layout_mismatch') naming the tensor. */
  private matchLayout(update: readonly WeightTensor[], what = 'update'): WeightTensor[] {
    const ordered: (WeightTensor | undefined)[] = new Array(this.layout.length);
    for (const t of update) {
      const k = this.index.get(t.name);
      const mismatch = (message: string): UpdateRejected =>
        new UpdateRejected('layout_mismatch', message, t.name);
      if (k === undefined) throw mismatch(`is not in the global model (${what} has an extra tensor)`);
      if (ordered[k] !== undefined) throw mismatch(`appears twice in the ${what}`);
      const expected = (this.layout[k] as LayoutEntry).shape;
      if (!sameShape(t.shape, expected)) {
        throw mismatch(`has shape ${shapeText(t.shape)}, the global model has ${shapeText(expected)}`);
      }
      if (t.values.length * 2 !== (this.acc[k] as Float64Array).length) {
        throw mismatch(`has ${t.values.length} values for shape ${shapeText(expected)}`);
      }
      ordered[k] = t;
    }
    const missing = this.layout.findIndex((_, k) => ordered[k] === undefined);
    if (missing >= 0) {
      const name = (this.layout[missing] as LayoutEntry).name;
      throw new UpdateRejected('layout_mismatch', `is missing from the ${what}`, name);
    }
    return ordered as WeightTensor[];
  }

  private badValue(t: WeightTensor, i: number, n: number): UpdateRejected {
    const v = t.values[i] as number;
    return Number.isFinite(v)
      ? new UpdateRejected(
          'out_of_range',
          `value ${v} at index ${i} × ${n} samples exceeds ±${T_MAX}`,
          t.name,
          i,
        )
      : new UpdateRejected('non_finite', `value ${v} at index ${i} is not finite`, t.name, i);
  }
}
