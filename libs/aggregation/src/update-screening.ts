import { medianOfSorted, sortColumn } from './column-order';
import type { LayoutEntry, UpdateTensor } from './streaming-fedavg';

/** Floats per update read at a time by {@link screenUpdates}: memory is K × this × 4 bytes. */
export const SCREENING_CHUNK = 1 << 14;

/** What {@link screenUpdates} measured of one update. */
export interface UpdateStatistics {
  /** ‖δ‖₂ over the whole update (finite values only). */
  readonly norm: number;
  /** ‖δ‖₂ of each tensor, in layout order. */
  readonly tensorNorms: Float64Array;
  /** ⟨δ, c⟩ / (‖δ‖·‖c‖) with c the round's coordinate-wise median; 0 when either norm is 0. */
  readonly cosine: number;
  /** The first value that is NaN or ±∞, if any: such an update is left out of the centre. */
  readonly nonFinite: { readonly tensor: string; readonly index: number; readonly value: number } | null;
}

/** The result of {@link screenUpdates}: per update statistics and the norm of the round's centre. */
export interface RoundScreening {
  readonly updates: readonly UpdateStatistics[];
  /** ‖c‖₂ of the coordinate-wise median c of the round's updates. */
  readonly centreNorm: number;
}

/**
 * One streaming pass over a round's updates (each read chunk by chunk, e.g. from the blob store)
 * that measures what screening needs: each update's L2 norm, whole and per tensor, and its cosine
 * to the round's robust centre c, the coordinate-wise median of the updates (Yin et al., "Byzantine-
 * Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018: the median is not moved
 * far by a minority of arbitrary updates, so an update pointing away from it stands out).
 *
 *   cosᵢ = Σⱼ δᵢⱼ·cⱼ / (‖δᵢ‖·‖c‖),   cⱼ = median over i of δᵢⱼ (finite values only)
 *
 * c is never held whole: it is computed per chunk and folded into the dot products at once, so
 * memory is K × chunk floats, not K × model. Updates must be in layout order (as the fold checked
 * them when they arrived).
 *
 * @example
 * const { updates } = screenUpdates(layout, [siteA.tensors, siteB.tensors, siteC.tensors]);
 * updates[2].cosine; // −0.98: site C pushes against the others
 */
export function screenUpdates(
  layout: readonly LayoutEntry[],
  updates: readonly (readonly UpdateTensor[])[],
  options: { readonly chunk?: number } = {},
): RoundScreening {
  const K = updates.length;
  const chunk = options.chunk ?? SCREENING_CHUNK;
  updates.forEach((u, i) => checkLayout(layout, u, i));
  const buf = new Float32Array(K * chunk);
  const col = new Float64Array(K);
  const sq = layout.map(() => new Float64Array(K)); // Σ δ² per tensor, per update
  const dot = new Float64Array(K);
  const nonFinite: (UpdateStatistics['nonFinite'] | null)[] = updates.map(() => null);
  let cc = 0;
  layout.forEach((entry, k) => {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    const sqk = sq[k] as Float64Array;
    for (let from = 0; from < n; from += chunk) {
      const len = Math.min(chunk, n - from);
      for (let i = 0; i < K; i++)
        readInto(updates[i]?.[k] as UpdateTensor, from, buf.subarray(i * chunk, i * chunk + len));
      for (let j = 0; j < len; j++) {
        let m = 0;
        for (let i = 0; i < K; i++) {
          const v = buf[i * chunk + j] as number;
          if (v - v === 0) {
            col[m++] = v;
          } else if (nonFinite[i] === null) {
            nonFinite[i] = { tensor: entry.name, index: from + j, value: v };
          }
        }
        if (m === 0) continue;
        sortColumn(col, m);
        const c = medianOfSorted(col, m);
        cc += c * c;
        for (let i = 0; i < K; i++) {
          const v = buf[i * chunk + j] as number;
          if (v - v !== 0) continue;
          sqk[i] = (sqk[i] as number) + v * v;
          dot[i] = (dot[i] as number) + v * c;
        }
      }
    }
  });
  const centreNorm = Math.sqrt(cc);
  return {
    centreNorm,
    updates: updates.map((_, i) => {
      const tensorNorms = Float64Array.from(sq, (s) => Math.sqrt(s[i] as number));
      const norm = Math.sqrt(sq.reduce((a, s) => a + (s[i] as number), 0));
      const cosine = norm > 0 && centreNorm > 0 ? (dot[i] as number) / (norm * centreNorm) : 0;
      return { norm, tensorNorms, cosine, nonFinite: nonFinite[i] ?? null };
    }),
  };
}

function readInto(t: UpdateTensor, from: number, into: Float32Array): void {
  if ('values' in t) into.set(t.values.subarray(from, from + into.length));
  else t.read(from, into);
}

function checkLayout(layout: readonly LayoutEntry[], update: readonly UpdateTensor[], i: number): void {
  const ok =
    update.length === layout.length &&
    layout.every(
      (e, k) =>
        update[k]?.name === e.name &&
        update[k]?.shape.length === e.shape.length &&
        e.shape.every((d, j) => update[k]?.shape[j] === d),
    );
  if (!ok) throw new Error(`screening: update ${i} is not in the layout's order and shapes`);
}
