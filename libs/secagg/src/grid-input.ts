import {
  CLIPPED_SPAN_LOG2,
  clippedGridScale,
  gridCap,
  gridScale,
  gridRange,
  gridStep,
  K_MAX,
  N_MAX,
  readTensor,
  termWeight,
  type LayoutEntry,
  type UpdateTensor,
  type WeightTensor,
} from '@fedaln/aggregation';
import { SecAggError } from './secagg-error';
import { encodeSigned, type RingBits } from './ring';

/**
 * A site's update as its input to secure aggregation: per element the grid integer
 * r = nearest(x·w), w = n·2²⁶/M — exactly the term StreamingFedAvg's kernel folds (libs/aggregation
 * grid.ts steps 1–3: x·w is exact in float64, rounding is to the nearest integer, ties to even) —
 * written into the ring Z/2⁶⁴, or Z/2³² on a clipped layout (ring.ts). Summing these integers is
 * summing what StreamingFedAvg sums (given the same scales), so the unmasked sum read by
 * {@link gridMean} equals its result bit for bit.
 *
 * The coordinator can no longer look at an update, so the site checks its own first
 * (`checkGridInput`). Default layout, with the rule StreamingFedAvg applies: every value finite and
 * |x| ≤ R/n, and its share of the round's range n·max|δ| ≤ R/sites per tensor (R = M·2²⁵). With
 * every site in its share the sum stays within ±(2⁵¹ + K/2), which is what makes 64 bits enough.
 * Clipped layout (32-bit ring): every value finite and |x| ≤ c (its clipped update's largest value
 * is at most its norm), and n ≤ W: then Σ nᵢ·max|δᵢ| ≤ c·W ≤ 2³⁰·q and the sum stays within
 * ±(2³⁰ + K/2). A site past its share here would not be refused by anyone else: its excess wraps
 * around mod 2³² unseen, and only the coordinator's bound on the unmasked sum may catch it.
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
  /** The ring's width (default 64); 32 only with `clip`. */
  readonly ringBits?: RingBits;
  /**
   * The clipped grid of the 32-bit ring: every site's update has ‖δ‖₂ ≤ `norm`, and the session's
   * approved weights sum to `totalWeight` (W); every scale is clippedGridScale(norm, W).
   */
  readonly clip?: { readonly norm: number; readonly totalWeight: number };
}

/** The ring of a layout (64 unless it says 32). */
export function layoutRingBits(layout: GridLayout): RingBits {
  return layout.ringBits ?? 64;
}

/**
 * The layout of a round whose updates apply to `global`: its tensors, and per tensor the scale
 * StreamingFedAvg takes from the same global (`gridScale` of its largest |value|), so both sides
 * count on one grid. With `clip` (clip norm c and the session's total approved weight W): the
 * 32-bit ring on the clipped grid, one scale clippedGridScale(c, W) for every tensor — the scale a
 * plain StreamingFedAvg must be given (`scale`) to count on the same grid.
 */
export function gridLayout(
  global: readonly WeightTensor[],
  sites: number,
  clip?: { readonly norm: number; readonly totalWeight: number },
): GridLayout {
  if (clip !== undefined) {
    const scale = clippedGridScale(clip.norm, clip.totalWeight);
    return {
      tensors: global.map(({ name, shape }) => ({ name, shape: [...shape] })),
      scales: global.map(() => scale),
      sites,
      ringBits: 32,
      clip: { norm: clip.norm, totalWeight: clip.totalWeight },
    };
  }
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
  const clip = clipOf(layout, n);
  const sizes = tensorSizes(layout);
  const chunk = new Float32Array(CHECK_CHUNK);
  let squares = 0;
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
    if (clip !== undefined && clip.norm * clip.totalWeight > 2 ** CLIPPED_SPAN_LOG2 * gridStep(scale)) {
      throw new SecAggError(
        'bad_parameters',
        `"${t.name}": scale ${scale} is too fine for the 32-bit ring: clip_norm ${clip.norm} × total weight ${clip.totalWeight} exceeds 2³⁰ grid steps; take the scale from clippedGridScale`,
      );
    }
    const cap = clip === undefined ? gridCap(scale, n) : clip.norm;
    let max = 0;
    for (let from = 0; from < size; from += CHECK_CHUNK) {
      const v = chunk.subarray(0, Math.min(CHECK_CHUNK, size - from));
      readTensor(t, from, v);
      for (let i = 0; i < v.length; i++) {
        const a = Math.abs(v[i] as number);
        if (!(a <= cap)) {
          throw new SecAggError(
            'update_rejected',
            clip === undefined
              ? `"${t.name}" value ${v[i]} at index ${from + i} is not finite or exceeds ±${cap}, the limit for ${n} samples: clip the update or check the training`
              : `"${t.name}" value ${v[i]} at index ${from + i} is not finite or exceeds clip_norm ${cap}: this site's share of the 32-bit ring is n·clip_norm and a larger value would wrap around; clip the update to ‖δ‖₂ ≤ ${cap}`,
          );
        }
        if (a > max) max = a;
        squares += a * a;
      }
    }
    const share = gridRange(scale) / layout.sites;
    if (clip === undefined && n * max > share) {
      throw new SecAggError(
        'update_rejected',
        `"${t.name}": n·max|δ| = ${n} × ${max} exceeds this site's share of the round's range, ${share} (2²⁵ × scale ${scale} / ${layout.sites} sites): clip the update`,
      );
    }
  });
  // The ring needs only max|δ| ≤ c (above); the whole norm is what the coordinator checks of the sum,
  // so a site that did not clip learns it here rather than failing the round for everyone.
  // 2⁻²⁰ of slack: a norm clipped in float32 may come out a few ulps above c.
  if (clip !== undefined && Math.sqrt(squares) > clip.norm * (1 + 2 ** -20)) {
    throw new SecAggError(
      'update_rejected',
      `the update's norm ‖δ‖₂ = ${Math.sqrt(squares)} exceeds clip_norm ${clip.norm}: clip it before masking`,
    );
  }
}

/** The clip of a clipped layout, checked against the site's weight n; undefined for the default layout. */
function clipOf(layout: GridLayout, n: number): { norm: number; totalWeight: number } | undefined {
  const bits = layoutRingBits(layout);
  if (bits === 64 && layout.clip === undefined) return undefined;
  const clip = layout.clip;
  if (bits !== 32 || clip === undefined || !(clip.norm > 0) || !Number.isInteger(clip.totalWeight)) {
    throw new SecAggError(
      'bad_parameters',
      `a ${bits}-bit ring with clip ${JSON.stringify(clip)}: the 32-bit ring needs a clip norm > 0 and the session's total weight, and only it has them (gridLayout with clip)`,
    );
  }
  if (n > clip.totalWeight) {
    throw new SecAggError(
      'update_rejected',
      `nSamples ${n} exceeds the session's total approved weight ${clip.totalWeight}: its share would not fit the 32-bit ring`,
    );
  }
  return clip;
}

/**
 * out (`ringWords(bits)`·values.length words) = the ring elements nearest(x·w) of `values`,
 * w = n·2²⁶/scale.
 */
export function gridTerms(
  values: Float32Array,
  n: number,
  scale: number,
  out: Uint32Array,
  bits: RingBits = 64,
): void {
  const w = termWeight(n, scale);
  if (bits === 32) for (let i = 0; i < values.length; i++) out[i] = nearestEven((values[i] as number) * w);
  else for (let i = 0; i < values.length; i++) encodeSigned(out, i, nearestEven((values[i] as number) * w));
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
