import { readTensor, type LayoutEntry, type UpdateTensor } from './streaming-fedavg';

/** Floats per update read at a time by {@link screenUpdates}: memory is K × this × 4 bytes. */
export const SCREENING_CHUNK = 1 << 14;

/** What {@link screenUpdates} measured of one update. */
export interface UpdateStatistics {
  /** ‖δ‖₂ over the whole update (finite values only). */
  readonly norm: number;
  /** ‖δ‖₂ of each tensor, in layout order. */
  readonly tensorNorms: Float64Array;
  /**
   * ⟨δ, c₋ᵢ⟩ / (‖δ‖·‖c₋ᵢ‖) over the sampled coordinates, c₋ᵢ the coordinate-wise median of the
   * round's other updates there; 0 when either norm is 0.
   */
  readonly cosine: number;
  /**
   * The same cosine over the trained tensors' sampled coordinates only (`trained` option); null
   * without that option.
   */
  readonly trainedCosine: number | null;
  /** ‖c₋ᵢ‖₂ over the sampled coordinates: the size of the centre this update was compared with. */
  readonly centreNorm: number;
  /** The first value that is NaN or ±∞, if any: such an update is left out of the centre. */
  readonly nonFinite: { readonly tensor: string; readonly index: number; readonly value: number } | null;
}

/** The result of {@link screenUpdates}: per update statistics. */
export interface RoundScreening {
  readonly updates: readonly UpdateStatistics[];
  /** Coordinates the centres and the cosines were measured on. */
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
  /**
   * Which tensors are trained (not data statistics such as BatchNorm moving means): the cosine is
   * also measured over those alone (`trainedCosine`). Absent: no trained cosine.
   */
  readonly trained?: (name: string) => boolean;
}

/**
 * One streaming pass over a round's updates (each read chunk by chunk, e.g. from the blob store)
 * that measures what screening needs: each update's L2 norm, whole and per tensor, and its cosine
 * to a robust centre of the round, the coordinate-wise median of the *other* updates (Yin et al.,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018: the median
 * is not moved far by a minority of arbitrary updates, so an update pointing away from it stands
 * out; leaving the update itself out keeps it from voting on its own centre, which with a handful of
 * sites and nearly orthogonal updates lifts every cosine, a flipped update's too).
 *
 *   cosᵢ = Σⱼ∈S δᵢⱼ·c₋ᵢⱼ / (‖δᵢ‖_S·‖c₋ᵢ‖_S),   c₋ᵢⱼ = median over k ≠ i of δₖⱼ (finite values only)
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
    src: new Int32Array(K),
    sq: new Float64Array(K),
    sampledSq: new Float64Array(K),
    dot: new Float64Array(K),
    cc: new Float64Array(K),
    sampled: 0,
  };
  const accT: Sums = {
    ...acc,
    sampledSq: new Float64Array(K),
    dot: new Float64Array(K),
    cc: new Float64Array(K),
  };
  const tensorSq = layout.map(() => new Float64Array(K));
  const nonFinite: (UpdateStatistics['nonFinite'] | null)[] = updates.map(() => null);
  layout.forEach((entry, k) => {
    const n = entry.shape.reduce((a, b) => a * b, 1);
    acc.sq = tensorSq[k] as Float64Array;
    const alsoTrained = options.trained?.(entry.name) === true ? accT : null;
    for (let from = 0; from < n; from += chunk) {
      const len = Math.min(chunk, n - from);
      for (let i = 0; i < K; i++) {
        const into = buf.subarray(i * chunk, i * chunk + len);
        readTensor(updates[i]?.[k] as UpdateTensor, from, into);
        const bad = addSquares(into, acc.sq, i);
        if (bad >= 0 && nonFinite[i] === null) {
          nonFinite[i] = { tensor: entry.name, index: from + bad, value: into[bad] as number };
        }
      }
      const start = every === 1 ? 0 : Math.floor(random() * every);
      sampleChunk(buf, chunk, len, K, start, every, acc, alsoTrained);
    }
  });
  return {
    sampled: acc.sampled,
    updates: updates.map((_, i) => {
      const tensorNorms = Float64Array.from(tensorSq, (s) => Math.sqrt(s[i] as number));
      const norm = Math.sqrt(tensorSq.reduce((a, s) => a + (s[i] as number), 0));
      const sampledNorm = Math.sqrt(acc.sampledSq[i] as number);
      const centreNorm = Math.sqrt(acc.cc[i] as number);
      const cosine =
        sampledNorm > 0 && centreNorm > 0 ? (acc.dot[i] as number) / (sampledNorm * centreNorm) : 0;
      const tNorms = Math.sqrt((accT.sampledSq[i] as number) * (accT.cc[i] as number));
      const trainedCosine = options.trained ? (tNorms > 0 ? (accT.dot[i] as number) / tNorms : 0) : null;
      return { norm, tensorNorms, cosine, trainedCosine, centreNorm, nonFinite: nonFinite[i] ?? null };
    }),
  };
}

/** Running sums of a screening pass; `sq` points at the current tensor's Σ δ² per update. */
interface Sums {
  /** A coordinate's finite values, sorted, and the update each came from. */
  readonly col: Float64Array;
  readonly src: Int32Array;
  sq: Float64Array;
  readonly sampledSq: Float64Array;
  /** Per update: Σ δ·c₋ᵢ and Σ c₋ᵢ² over the sample. */
  readonly dot: Float64Array;
  readonly cc: Float64Array;
  sampled: number;
}

/** Adds Σ v² of row `i`'s finite values to sq[i]; returns the index of its first non-finite value, or −1. */
function addSquares(row: Float32Array, sq: Float64Array, i: number): number {
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
 * The sampled coordinates j = start, start + every, … of one chunk (row i at buf[i·stride …]): per
 * coordinate the finite values are gathered and insertion-sorted with their rows (K, the round's
 * updates, is small); then for each value at sorted rank r the median of the others — the sorted
 * list without position r — is c₋ᵢ, and Σ δ², Σ δ·c₋ᵢ and Σ c₋ᵢ² are added to its row.
 */
function sampleChunk(
  buf: Float32Array,
  stride: number,
  len: number,
  K: number,
  start: number,
  every: number,
  acc: Sums,
  /** Also add the sums here (the trained tensors' own), or null. */
  trained: Sums | null,
): void {
  const { col, src, sampledSq, dot, cc } = acc;
  for (let j = start; j < len; j += every) {
    let m = 0;
    for (let i = 0, at = j; i < K; i++, at += stride) {
      const v = buf[at] as number;
      if (v - v !== 0) continue;
      let p = m - 1;
      while (p >= 0 && (col[p] as number) > v) {
        col[p + 1] = col[p] as number;
        src[p + 1] = src[p] as number;
        p--;
      }
      col[p + 1] = v;
      src[p + 1] = i;
      m++;
    }
    if (m < 2) continue; // no other update to compare with
    acc.sampled++;
    const others = m - 1;
    const h = others >> 1;
    for (let r = 0; r < m; r++) {
      // The others' sorted list skips position r: its t-th value is col[t < r ? t : t + 1].
      const hi = col[h < r ? h : h + 1] as number;
      const c = others & 1 ? hi : ((col[h - 1 < r ? h - 1 : h] as number) + hi) / 2;
      const i = src[r] as number;
      const v = col[r] as number;
      sampledSq[i] = (sampledSq[i] as number) + v * v;
      dot[i] = (dot[i] as number) + v * c;
      cc[i] = (cc[i] as number) + c * c;
      if (trained) {
        trained.sampledSq[i] = (trained.sampledSq[i] as number) + v * v;
        trained.dot[i] = (trained.dot[i] as number) + v * c;
        trained.cc[i] = (trained.cc[i] as number) + c * c;
      }
    }
  }
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
