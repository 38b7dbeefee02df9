/**
 * The pooled AUC of several sites from their merged score histograms (merged-histograms.ts), with an
 * error bound against the exact AUC of the concatenated predictions, and a DeLong-type CI.
 *
 * Estimate. Each released bin is a score interval I = [lo, hi). For a positive in bin I (of any site)
 * and a negative in bin J (of any site) the pair's order is known when the intervals do not overlap
 * (ψ = 1 if lo(I) ≥ hi(J), 0 if hi(I) ≤ lo(J)); otherwise it is estimated as the probability that
 * a score uniform on I exceeds one uniform on J (independent), which is ½ for one shared bin:
 *
 *   ψ̂(I, J) = P(U_I > U_J) = (1 / (|I|·|J|)) ∫_I clamp(x − lo(J), 0, |J|) dx,
 *   AUC_est = Σ_{I,J} pos_I · neg_J · ψ̂(I, J) / (P·N).
 *
 * This is the trapezoidal (linearly interpolated) binned ROC when all sites share their edges, and
 * stays unbiased for scores spread evenly inside bins when sites' edges differ — where counting an
 * overlap as a tie pulls the estimate to ½ (on three sites of 65 cases: 0.773 against an exact 0.940).
 *
 * Sites' own AUCs. A site's exact AUC (Mann–Whitney over its own pairs; released when each class has
 * at least k cases) gives the ψ-sum of its within-site pairs exactly: AUC_s·P_s·N_s. When `siteAucs`
 * carries it, those pairs use it instead of ψ̂ and leave the unknown set; only pairs across sites, and
 * within sites whose AUC is withheld, are estimated from the bins.
 *
 * Error bound (derived here). The exact AUC is Σ_pairs ψ(s⁺, s⁻)/(P·N) with ψ ∈ {0, ½, 1}
 * (Mann–Whitney; `auc`). For a pair in ordered intervals ψ̂ = ψ; for a pair in overlapping intervals
 * ψ could be anything in [0, 1]. With K the known part of the ψ-sum (pairs in ordered bins, plus the
 * within-site sums AUC_s·P_s·N_s given) and T the remaining pairs whose bins overlap ("ties in merged
 * bins"), the exact AUC lies in [K/(PN), (K + T)/(PN)], so
 *
 *   |AUC_est − AUC_exact| ≤ max(AUC_est − K/(PN), (K + T)/(PN) − AUC_est) = auc_error_bound ≤ T/(PN),
 *
 * attained when every overlapping pair is ordered the same way. One site's bins never overlap each
 * other, so within a site T counts the pairs sharing a bin (pos_I·neg_I); across sites, pairs in bins
 * that overlap. With unmerged bins of one width for all sites the estimate is the binned AUC of
 * `histogramRoc`, and the bound T/(2PN) of `histogramRoc` (ties only in shared bins, ψ̂ = ½).
 *
 * CI. DeLong's variance (DeLong et al. 1988) with the kernel ψ̂ in place of ψ: the placement of a
 * positive in bin I is V10(I) = Σ_J neg_J ψ̂(I, J)/N, of a negative in J is V01(J) = Σ_I pos_I
 * ψ̂(I, J)/P; var = s²(V10)/P + s²(V01)/N; CI = AUC_est ∓ z₀.₉₇₅·√var clipped to [0, 1]. With
 * unmerged bins it is pROC's DeLong on bin-midpoint scores (`histogramDelong`). The placements use
 * ψ̂ for every pair (a site's own AUC does not give its cases' placements), so the variance is that of
 * the binned estimate, centred on AUC_est. It treats the pooled cases as one sample and is the CI of
 * AUC_est, whose distance to the exact AUC is at most the bound.
 */

import { Z_95 } from './delong';
import type { MergedScoreHistograms } from './merged-histograms';
import { MetricsInputError } from './validate';

export interface PooledAuc {
  n_pos: number;
  n_neg: number;
  /** AUC_est; null when a class is empty. */
  auc: number | null;
  /** max(auc − A/PN, (A+T)/PN − auc) ≥ |auc − exact AUC| (file comment); null with auc. */
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
  site: number;
}

/** Bin edges are integers (multiples of 1/bins); ψ̂ is computed on them exactly as the doc states. */
function psiHat(p: Bin, q: Bin): number {
  if (p.lo >= q.hi) return 1;
  if (p.hi <= q.lo) return 0;
  // ∫_{p.lo}^{p.hi} clamp(x − q.lo, 0, w) dx with w = |J|, from the antiderivative G.
  const w = q.hi - q.lo;
  const g = (x: number): number =>
    x <= q.lo ? 0 : x <= q.hi ? (x - q.lo) ** 2 / 2 : (w * w) / 2 + w * (x - q.hi);
  return (g(p.hi) - g(p.lo)) / ((p.hi - p.lo) * w);
}

/**
 * The pooled AUC, its error bound and CI (see the file comment) from the sites' merged histograms,
 * which must share `bins` (the resolution of their edges), and optionally each site's own exact AUC
 * (`siteAucs[i]`, null where withheld), which must lie in the range its histogram allows
 * (`siteAucRange`).
 *
 * @throws MetricsInputError naming `histograms[i]` for a malformed histogram or other bins, and
 *   `siteAucs[i]` for a site AUC its histogram rules out.
 * @example
 * const p = pooledAuc([
 *   { bins: 2, edges: [0, 1, 2], positive: [0, 5], negative: [5, 0] },
 *   { bins: 2, edges: [0, 2], positive: [5], negative: [5] },
 * ]);
 * // ordered: site 1's 25 pairs (ψ = 1); overlapping: site 2's 25 (ψ̂ = ½) and 25 + 25 across
 * // sites (P(U[1,2) > U[0,2)) = P(U[0,2) > U[0,1)) = ¾)
 * p.auc; // (25 + ¾·50 + ½·25) / 100 = 0.75
 * p.auc_error_bound; // exact AUC in [25/100, 100/100]: max(0.75 − 0.25, 1 − 0.75) = 0.5
 */
export function pooledAuc(
  histograms: readonly MergedScoreHistograms[],
  siteAucs: readonly (number | null)[] = [],
): PooledAuc {
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
      if (h.positive[j]! > 0) pos.push({ lo, hi, count: h.positive[j]!, site: i });
      if (h.negative[j]! > 0) neg.push({ lo, hi, count: h.negative[j]!, site: i });
    }
  });
  const nPos = pos.reduce((a, b) => a + b.count, 0);
  const nNeg = neg.reduce((a, b) => a + b.count, 0);
  const none = { n_pos: nPos, n_neg: nNeg, auc: null, auc_error_bound: null, variance: null, ci: null };
  if (nPos === 0 || nNeg === 0) return none;

  const exactWithin = histograms.map((h, i) => {
    const a = siteAucs[i];
    if (a === null || a === undefined) return null;
    const range = siteAucRange(h);
    if (range === null || !(a >= range[0] - 1e-12 && a <= range[1] + 1e-12))
      throw new MetricsInputError(
        `siteAucs[${i}] is ${a}; its histogram allows an AUC in ${range ? `[${range[0]}, ${range[1]}]` : 'no range (a class is empty)'}`,
        `siteAucs[${i}]`,
        null,
        a,
      );
    return a;
  });
  let binned = 0; // Σ pos·neg·ψ̂ over every pair: the centre of the binned kernel's placements
  let above = 0; // Σ pos·neg·ψ̂, with the given within-site sums
  let known = 0; // K
  let overlapping = 0; // T
  const v10 = pos.map(() => 0); // N·V10 per positive bin
  const v01 = neg.map(() => 0); // P·V01 per negative bin
  pos.forEach((p, a) => {
    neg.forEach((q, b) => {
      const s = psiHat(p, q);
      const pairs = p.count * q.count;
      v10[a] = v10[a]! + q.count * s;
      v01[b] = v01[b]! + p.count * s;
      binned += pairs * s;
      if (p.site === q.site && exactWithin[p.site] != null) return; // added below, exactly
      above += pairs * s;
      if (p.lo >= q.hi) known += pairs;
      else if (p.hi > q.lo) overlapping += pairs;
    });
  });
  histograms.forEach((h, i) => {
    const a = exactWithin[i];
    if (a == null) return;
    const within = sum(h.positive) * sum(h.negative) * a;
    above += within;
    known += within;
  });
  const pn = nPos * nNeg;
  const auc = above / pn;
  const bound = Math.max(auc - known / pn, (known + overlapping) / pn - auc, 0);
  if (nPos < 2 || nNeg < 2) return { ...none, auc, auc_error_bound: bound };
  let s10 = 0;
  pos.forEach((p, a) => (s10 += p.count * (v10[a]! / nNeg - binned / pn) ** 2));
  let s01 = 0;
  neg.forEach((q, b) => (s01 += q.count * (v01[b]! / nPos - binned / pn) ** 2));
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

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * The range [A/(PN), (A + T)/(PN)] that one site's merged histogram allows for its exact AUC: A the
 * pairs in ordered bins, T the pairs sharing a bin (one site's bins never overlap). Null when a class
 * is empty. The coordinator refuses a report whose AUC lies outside it.
 *
 * @example siteAucRange({ bins: 2, edges: [0, 1, 2], positive: [1, 5], negative: [5, 0] }); // [25/30, 30/30]
 */
export function siteAucRange(h: MergedScoreHistograms): [number, number] | null {
  const nPos = sum(h.positive);
  const nNeg = sum(h.negative);
  if (nPos === 0 || nNeg === 0) return null;
  let ordered = 0;
  let negBelow = 0;
  for (let j = 0; j < h.positive.length; j++) {
    ordered += h.positive[j]! * negBelow;
    negBelow += h.negative[j]!;
  }
  const shared = h.positive.reduce((a, p, j) => a + p * h.negative[j]!, 0);
  return [ordered / (nPos * nNeg), (ordered + shared) / (nPos * nNeg)];
}
