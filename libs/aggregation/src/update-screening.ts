import type { LayoutEntry, UpdateTensor } from './streaming-fedavg';

/** Floats per update read at a time by {@link screenUpdates}: memory is K × this × 4 bytes. */
export const SCREENING_CHUNK = 1 << 14;

/** What {@link screenUpdates} measured of one update. */
export interface UpdateStatistics {
  /** ‖δ‖₂ over the whole update (finite values only). */
  readonly norm: number;
  /** ‖δ‖₂ of each tensor, in layout order. */
  readonly tensorNorms: Float64Array;
  /**
   * ⟨δ, c⟩ / (‖δ‖·‖c‖) over the sampled coordinates, c the round's coordinate-wise median there;
   * 0 when either norm is 0.
   */
  readonly cosine: number;
  /** The first value that is NaN or ±∞, if any: such an update is left out of the centre. */
  readonly nonFinite: { readonly tensor: string; readonly index: number; readonly value: number } | null;
}

/** The result of {@link screenUpdates}: per update statistics and the norm of the round's centre. */
export interface RoundScreening {
  readonly updates: readonly UpdateStatistics[];
  /** ‖c‖₂ of the coordinate-wise median c over the sampled coordinates. */
  readonly centreNorm: number;
  /** Coordinates the centre and the cosines were measured on. */
  readonly sampled: number;
}

/** Options of {@link screenUpdates}. */
export interface ScreeningPassOptions {
  /** Floats per update read at a time (default {@link SCREENING_CHUNK}). */
  readonly chunk?: number;
  /**
   * Measure the centre and the cosines on one coordinate in `sampleEvery` (default 1: all): a
   * systematic sample with a fresh random start in every chunk, drawn from `random`.
   */
  readonly sampleEvery?: number;
  /** Uniform [0, 1) source of the sample's starts (default Math.random). */
  readonly random?: () => number;
}

/**
 * One streaming pass over a round's updates (each read chunk by chunk, e.g. from the blob store)
 * that measures what screening needs: each update's L2 norm, whole and per tensor, and its cosine
 * to the round's robust centre c, the coordinate-wise median of the updates (Yin et al., "Byzantine-
 * Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018: the median is not moved
 * far by a minority of arbitrary updates, so an update pointing away from it stands out).
 *
 *   cosᵢ = Σⱼ∈S δᵢⱼ·cⱼ / (‖δᵢ‖_S·‖c‖_S),   cⱼ = median over i of δᵢⱼ (finite values only)
 *
 * S is every coordinate, or (`sampleEvery` = s > 1) one in s, with a random start per chunk drawn
 * when the round is screened, after every update is in: a site cannot know which coordinates are
 * looked at, so the sampled cosine is an unbiased look at its whole direction, while the median —
 * a sort per coordinate — costs s times less. Norms (clipping) always cover every coordinate.
 * c is never held whole: it is computed per chunk and used at once, so memory is K × chunk floats,
 * not K × model. Updates must be in layout order (as the fold checked them when they arrived).
 *
 * @example
 * const { updates } = screenUpdates(layout, [siteA.tensors, siteB.tensors, siteC.tensors]);
 * updates[2].cosine; // −0.98: site C pushes against the others
 */
export function screenUpdates(
  layout: readonly LayoutEntry[],
  updates: readonly (readonly UpdateTensor[])[],
  options: ScreeningPassOptions = {},
): RoundScreening {
  const K = updates.length;
  const chunk = options.chunk ?? SCREENING_CHUNK;
  const every = options.sampleEvery ?? 1;
  const random = options.random ?? Math.random;
  if (!Number.isInteger(every) || every < 1) throw new Error(`sampleEvery ${every} is not an integer ≥ 1`);
  updates.forEach((u, i) => checkLayout(layout, u, i));
  const buf = new Float32Array(K * chunk);
  const acc: Sums = {
    col: new Float64Array(K),
    sq: new Float64Array(K),
    sampledSq: new Float64Array(K),
    dot: new Float64Array(K),
    cc: 0,
    sampled: 0,
  };
  const tensorSq = layout.map(() => new Float64Array(K));
  const nonFinite: (UpdateStatistics['nonFinite'] | null)[] = updates.map(() => null);
  layout.forEach((entry, k) => {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    acc.sq = tensorSq[k] as Float64Array;
    for (let from = 0; from < n; from += chunk) {
      const len = Math.min(chunk, n - from);
      for (let i = 0; i < K; i++) {
        const into = buf.subarray(i * chunk, i * chunk + len);
        readInto(updates[i]?.[k] as UpdateTensor, from, into);
        const bad = firstNonFinite(into, acc.sq, i);
        if (bad >= 0 && nonFinite[i] === null) {
          nonFinite[i] = { tensor: entry.name, index: from + bad, value: into[bad] as number };
        }
      }
      const start = every === 1 ? 0 : Math.floor(random() * every);
      sampleChunk(buf, chunk, len, K, start, every, acc);
    }
  });
  const centreNorm = Math.sqrt(acc.cc);
  return {
    centreNorm,
    sampled: acc.sampled,
    updates: updates.map((_, i) => {
      const tensorNorms = Float64Array.from(tensorSq, (s) => Math.sqrt(s[i] as number));
      const norm = Math.sqrt(tensorSq.reduce((a, s) => a + (s[i] as number), 0));
      const sampledNorm = Math.sqrt(acc.sampledSq[i] as number);
      const cosine =
        sampledNorm > 0 && centreNorm > 0 ? (acc.dot[i] as number) / (sampledNorm * centreNorm) : 0;
      return { norm, tensorNorms, cosine, nonFinite: nonFinite[i] ?? null };
    }),
  };
}

/** Running sums of a screening pass; `sq` points at the current tensor's Σ δ² per update. */
interface Sums {
  readonly col: Float64Array;
  sq: Float64Array;
  readonly sampledSq: Float64Array;
  readonly dot: Float64Array;
  cc: number;
  sampled: number;
}

/** Adds Σ v² of row `i`'s finite values to sq[i]; returns the index of its first non-finite value, or −1. */
function firstNonFinite(row: Float32Array, sq: Float64Array, i: number): number {
  let s = 0;
  let bad = -1;
  for (let j = 0; j < row.length; j++) {
    const v = row[j] as number;
    if (v - v === 0) s += v * v;
    else if (bad < 0) bad = j;
  }
  sq[i] = (sq[i] as number) + s;
  return bad;
}

/**
 * The sampled coordinates j = start, start + every, … of one chunk (row i at buf[i·stride …]):
 * per coordinate the median c of the finite values (gathered and insertion-sorted in one go: K,
 * the round's updates, is small), then Σ c², and per row Σ δ² and Σ δ·c.
 */
function sampleChunk(
  buf: Float32Array,
  stride: number,
  len: number,
  K: number,
  start: number,
  every: number,
  acc: Sums,
): void {
  const { col, sampledSq, dot } = acc;
  for (let j = start; j < len; j += every) {
    let m = 0;
    for (let i = 0, at = j; i < K; i++, at += stride) {
      const v = buf[at] as number;
      if (v - v !== 0) continue;
      let p = m - 1;
      while (p >= 0 && (col[p] as number) > v) {
        col[p + 1] = col[p] as number;
        p--;
      }
      col[p + 1] = v;
      m++;
    }
    if (m === 0) continue;
    const h = m >> 1;
    const c = m & 1 ? (col[h] as number) : ((col[h - 1] as number) + (col[h] as number)) / 2;
    acc.cc += c * c;
    acc.sampled++;
    for (let i = 0, at = j; i < K; i++, at += stride) {
      const v = buf[at] as number;
      if (v - v !== 0) continue;
      sampledSq[i] = (sampledSq[i] as number) + v * v;
      dot[i] = (dot[i] as number) + v * c;
    }
  }
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
