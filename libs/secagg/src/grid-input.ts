import {
  gridCap,
  gridScale,
  gridRange,
  K_MAX,
  N_MAX,
  readTensor,
  termWeight,
  type LayoutEntry,
  type UpdateTensor,
  type WeightTensor,
} from '@fedaln/aggregation';
import { SecAggError } from './secagg-error';
import { encodeSigned } from './ring';

/**
 * A site's update as its input to secure aggregation: per element the grid integer
 * r = nearest(x·w), w = n·2²⁶/M — exactly the term StreamingFedAvg's kernel folds (libs/aggregation
 * grid.ts steps 1–3: x·w is exact in float64, rounding is to the nearest integer, ties to even) —
 * written into the ring Z/2⁶⁴ (ring.ts). Summing these integers is summing what StreamingFedAvg
 * sums, so the unmasked sum read by {@link gridMean} equals its result bit for bit.
 *
 * The coordinator can no longer look at an update, so the site checks its own first, with the
 * rule StreamingFedAvg applies (`check`): every value finite and |x| ≤ R/n, and its share of the
 * round's range n·max|δ| ≤ R/sites per tensor (R = M·2²⁵). With every site in its share the sum
 * stays within ±(2⁵¹ + K/2), which is what makes 64 bits enough (ring.ts).
 *
 * @example
 * const layout = { tensors: [{ name: 'w', shape: [3] }], scales: [1], sites: 5 };
 * checkGridInput(layout, [{ name: 'w', shape: [3], values }], 120); // throws SecAggError('update_rejected') naming the value
 * gridTerms(values, 120, 1, out); // out: 3 ring elements
 */
export interface GridLayout {
  /** The global model's tensors, in the order the vector concatenates them. */
  readonly tensors: readonly LayoutEntry[];
  /** Per tensor, its grid scale M (`gridScale` of the global tensor's max |value|, as StreamingFedAvg takes it). */
  readonly scales: readonly number[];
  /** Sites that may send an input this round: each keeps to 1/sites of a tensor's range. */
  readonly sites: number;
}

/**
 * The layout of a round whose updates apply to `global`: its tensors, and per tensor the scale
 * StreamingFedAvg takes from the same global (`gridScale` of its largest |value|), so both sides
 * count on one grid.
 */
export function gridLayout(global: readonly WeightTensor[], sites: number): GridLayout {
  return {
    tensors: global.map(({ name, shape }) => ({ name, shape: [...shape] })),
    scales: global.map((t) => {
      let maxAbs = 0;
      for (const v of t.values) maxAbs = Math.max(maxAbs, Math.abs(v));
      return gridScale(maxAbs);
    }),
    sites,
  };
}

/** Elements of each tensor. */
export function tensorSizes(layout: GridLayout): number[] {
  return layout.tensors.map((t) => t.shape.reduce((a, b) => a * b, 1));
}

/** Where each tensor starts in the concatenated vector, and the vector's length last. */
export function tensorOffsets(layout: GridLayout): number[] {
  const offsets = [0];
  for (const s of tensorSizes(layout)) offsets.push((offsets[offsets.length - 1] as number) + s);
  return offsets;
}

const CHECK_CHUNK = 1 << 16;

/** Throws SecAggError('update_rejected') naming the tensor, the value and the limit if the update may not be masked. */
export function checkGridInput(layout: GridLayout, update: readonly UpdateTensor[], n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > N_MAX) {
    throw new SecAggError('update_rejected', `nSamples ${n} is not an integer in 1..${N_MAX}`);
  }
  if (!Number.isInteger(layout.sites) || layout.sites < 1 || layout.sites > K_MAX) {
    throw new SecAggError('bad_parameters', `sites ${layout.sites} is not an integer in 1..${K_MAX}`);
  }
  if (update.length !== layout.tensors.length) {
    throw new SecAggError(
      'update_rejected',
      `an update of ${update.length} tensors for a layout of ${layout.tensors.length}`,
    );
  }
  const sizes = tensorSizes(layout);
  const chunk = new Float32Array(CHECK_CHUNK);
  layout.tensors.forEach((entry, k) => {
    const t = update[k] as UpdateTensor;
    const size = sizes[k] as number;
    if (t.name !== entry.name || t.shape.join() !== entry.shape.join()) {
      throw new SecAggError(
        'update_rejected',
        `tensor ${k} is "${t.name}" [${t.shape.join(', ')}], the layout has "${entry.name}" [${entry.shape.join(', ')}]`,
      );
    }
    const scale = layout.scales[k] as number;
    const cap = gridCap(scale, n);
    let max = 0;
    for (let from = 0; from < size; from += CHECK_CHUNK) {
      const v = chunk.subarray(0, Math.min(CHECK_CHUNK, size - from));
      readTensor(t, from, v);
      for (let i = 0; i < v.length; i++) {
        const a = Math.abs(v[i] as number);
        if (!(a <= cap)) {
          throw new SecAggError(
            'update_rejected',
            `"${t.name}" value ${v[i]} at index ${from + i} is not finite or exceeds ±${cap}, the limit for ${n} samples: clip the update or check the training`,
          );
        }
        if (a > max) max = a;
      }
    }
    const share = gridRange(scale) / layout.sites;
    if (n * max > share) {
      throw new SecAggError(
        'update_rejected',
        `"${t.name}": n·max|δ| = ${n} × ${max} exceeds this site's share of the round's range, ${share} (2²⁵ × scale ${scale} / ${layout.sites} sites): clip the update`,
      );
    }
  });
}

/** out (2·values.length words) = the ring elements nearest(x·w) of `values`, w = n·2²⁶/scale. */
export function gridTerms(values: Float32Array, n: number, scale: number, out: Uint32Array): void {
  const w = termWeight(n, scale);
  for (let i = 0; i < values.length; i++) encodeSigned(out, i, nearestEven((values[i] as number) * w));
}

/**
 * The mean Σr·q/W of the unmasked sum, one tensor's elements: out[i] = float32((S[i]·q)/W) (plus
 * base[i] when given) — the arithmetic of GridSum.read, so the result is StreamingFedAvg's.
 */
export function gridMean(
  sums: Float64Array,
  q: number,
  totalWeight: number,
  out: Float32Array,
  base?: Float32Array,
): void {
  if (base === undefined)
    for (let i = 0; i < out.length; i++) out[i] = ((sums[i] as number) * q) / totalWeight;
  else
    for (let i = 0; i < out.length; i++)
      out[i] = (base[i] as number) + ((sums[i] as number) * q) / totalWeight;
}

/** The nearest integer to v, ties to even (IEEE roundToIntegralTiesToEven, as wasm f64.nearest). */
export function nearestEven(v: number): number {
  const r = Math.round(v); // ties towards +∞
  // v − r is exact for |v| < 2⁵²: a tie is v = r − 0.5; then take the even neighbour.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
