/**
 * The pooled AUC of several sites from their merged score histograms (merged-histograms.ts), with an
 * error bound against the exact AUC of the concatenated predictions, and a DeLong-type CI.
 *
 * Estimate. Each released bin is a score interval I = [lo, hi). For a positive in bin I (of any site)
 * and a negative in bin J (of any site): if lo(I) ≥ hi(J) the positive scored higher for sure
 * (ψ = 1); if hi(I) ≤ lo(J) lower for sure (ψ = 0); otherwise the intervals overlap and the pair's
 * order is unknown, and it counts ½ (as a tie):
 *
 *   AUC_est = Σ_{I,J} pos_I · neg_J · ψ̂(I, J) / (P·N),   ψ̂ ∈ {0, ½, 1}.
 *
 * Error bound (derived here). The exact AUC is Σ_pairs ψ(s⁺, s⁻)/(P·N) with ψ ∈ {0, ½, 1}
 * (Mann–Whitney; `auc`). For a pair in ordered intervals ψ̂ = ψ. For a pair in overlapping intervals
 * ψ̂ = ½ and ψ ∈ [0, 1], so |ψ̂ − ψ| ≤ ½. With T the number of (positive, negative) pairs whose bins
 * overlap ("ties in merged bins"),
 *
 *   |AUC_est − AUC_exact| ≤ T / (2·P·N) = auc_error_bound,
 *
 * attained when every such pair is ordered the same way. One site's bins never overlap each other, so
 * within a site T counts the pairs sharing a bin (pos_I·neg_I); across sites, pairs in bins that
 * overlap. With unmerged bins of one width for all sites this is the binned AUC of `histogramRoc`.
 *
 * CI. DeLong's variance (DeLong et al. 1988) with the kernel ψ̂ in place of ψ: the placement of a
 * positive in bin I is V10(I) = Σ_J neg_J ψ̂(I, J)/N, of a negative in J is V01(J) = Σ_I pos_I
 * ψ̂(I, J)/P; var = s²(V10)/P + s²(V01)/N; CI = AUC_est ∓ z₀.₉₇₅·√var clipped to [0, 1]. With
 * unmerged bins it is pROC's DeLong on bin-midpoint scores (`histogramDelong`). It treats the pooled
 * cases as one sample and is the CI of AUC_est, whose distance to the exact AUC is at most the bound.
 */

import { Z_95 } from './delong';
import type { MergedScoreHistograms } from './merged-histograms';
import { MetricsInputError } from './validate';

export interface PooledAuc {
  n_pos: number;
  n_neg: number;
  /** AUC_est; null when a class is empty. */
  auc: number | null;
  /** T/(2PN) ≥ |auc − exact AUC|; null with auc. */
  auc_error_bound: number | null;
  /** DeLong-type variance; null when a class has fewer than 2 cases. */
  variance: number | null;
  ci: [number, number] | null;
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Throws unless `h` is a merged histogram: edges 0 < … < bins, one count per bin and class.
 *
 * @example checkMergedHistograms({ bins: 100, edges: [0, 100], positive: [3], negative: [9] }, 'h');
 */
export function checkMergedHistograms(h: MergedScoreHistograms, field: string): void {
  const fail = (what: string, value?: unknown): never => {
    throw new MetricsInputError(`${field}${what}`, field, null, value as number);
  };
  if (!(Number.isInteger(h.bins) && h.bins >= 1)) fail(`.bins is ${h.bins}; expected an integer ≥ 1`, h.bins);
  const e = h.edges;
  if (!Array.isArray(e) || e.length < 2 || e[0] !== 0 || e[e.length - 1] !== h.bins)
    fail(`.edges is ${JSON.stringify(e)}; expected increasing integers from 0 to bins = ${h.bins}`);
  for (let j = 1; j < e.length; j++)
    if (!(Number.isInteger(e[j]) && e[j]! > e[j - 1]!))
      fail(`.edges[${j}] is ${e[j]}; expected an integer above edges[${j - 1}] = ${e[j - 1]}`, e[j]);
  for (const cls of ['positive', 'negative'] as const) {
    const c = h[cls];
    if (!Array.isArray(c) || c.length !== e.length - 1)
      fail(
        `.${cls} has ${Array.isArray(c) ? c.length : typeof c} entries; expected one per bin (${e.length - 1})`,
      );
    const bad = c.findIndex((v) => !isCount(v));
    if (bad >= 0) fail(`.${cls}[${bad}] is ${c[bad]}; expected a count (integer ≥ 0)`, c[bad]);
  }
}

interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/** ψ̂ doubled: 2 when the positive's bin lies above the negative's, 0 below, 1 when they overlap. */
const psi2 = (p: Bin, q: Bin): number => (p.lo >= q.hi ? 2 : p.hi <= q.lo ? 0 : 1);

/**
 * The pooled AUC, its error bound and CI (see the file comment) from the sites' merged histograms,
 * which must share `bins` (the resolution of their edges).
 *
 * @throws MetricsInputError naming `histograms[i]` for a malformed histogram or other bins.
 * @example
 * const p = pooledAuc([
 *   { bins: 2, edges: [0, 1, 2], positive: [0, 5], negative: [5, 0] },
 *   { bins: 2, edges: [0, 2], positive: [5], negative: [5] },
 * ]);
 * // ordered pairs: site 1's 25 (ψ = 1); overlapping: site 2's 25, and 25 + 25 across sites
 * p.auc; // (25 + ½·75) / 100 = 0.625      p.auc_error_bound; // 75 / 200 = 0.375
 */
export function pooledAuc(histograms: readonly MergedScoreHistograms[]): PooledAuc {
  if (histograms.length === 0)
    throw new MetricsInputError('no histograms; expected at least one site', 'histograms', null);
  const bins = histograms[0]!.bins;
  const pos: Bin[] = [];
  const neg: Bin[] = [];
  histograms.forEach((h, i) => {
    checkMergedHistograms(h, `histograms[${i}]`);
    if (h.bins !== bins)
      throw new MetricsInputError(
        `histograms[${i}].bins is ${h.bins} but histograms[0].bins is ${bins}; every site must use the study's bins`,
        `histograms[${i}].bins`,
        null,
        h.bins,
      );
    for (let j = 0; j + 1 < h.edges.length; j++) {
      const [lo, hi] = [h.edges[j]!, h.edges[j + 1]!];
      if (h.positive[j]! > 0) pos.push({ lo, hi, count: h.positive[j]! });
      if (h.negative[j]! > 0) neg.push({ lo, hi, count: h.negative[j]! });
    }
  });
  const nPos = pos.reduce((a, b) => a + b.count, 0);
  const nNeg = neg.reduce((a, b) => a + b.count, 0);
  const none = { n_pos: nPos, n_neg: nNeg, auc: null, auc_error_bound: null, variance: null, ci: null };
  if (nPos === 0 || nNeg === 0) return none;

  // Integer sums (exact below 2^53) so AUC and bound are one correctly rounded division each.
  let above2 = 0;
  let overlapping = 0;
  const v10 = pos.map(() => 0); // 2·N·V10 per positive bin
  const v01 = neg.map(() => 0); // 2·P·V01 per negative bin
  pos.forEach((p, a) => {
    neg.forEach((q, b) => {
      const s = psi2(p, q);
      above2 += p.count * q.count * s;
      if (s === 1) overlapping += p.count * q.count;
      v10[a] = v10[a]! + q.count * s;
      v01[b] = v01[b]! + p.count * s;
    });
  });
  const auc = above2 / (2 * nPos * nNeg);
  const bound = overlapping / (2 * nPos * nNeg);
  if (nPos < 2 || nNeg < 2) return { ...none, auc, auc_error_bound: bound };
  let s10 = 0;
  pos.forEach((p, a) => (s10 += p.count * (v10[a]! / (2 * nNeg) - auc) ** 2));
  let s01 = 0;
  neg.forEach((q, b) => (s01 += q.count * (v01[b]! / (2 * nPos) - auc) ** 2));
  const variance = s10 / (nPos - 1) / nPos + s01 / (nNeg - 1) / nNeg;
  const half = Z_95 * Math.sqrt(variance);
  return {
    ...none,
    auc,
    auc_error_bound: bound,
    variance,
    ci: [Math.max(0, auc - half), Math.min(1, auc + half)],
  };
}
