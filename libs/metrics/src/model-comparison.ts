/**
 * DL score vs four-feature model vs combined model on the sites' test splits (issue 15), compared with
 * paired DeLong tests and pooled across sites without any per-case score leaving a site.
 *
 * A site releases, for its test cases, the three AUCs and their 3 × 3 DeLong covariance matrix
 * (DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988) 837–845; {@link placementCovariance}) —
 * summaries over all its cases, like the `delong_var` and `paired` fields of its report, and withheld
 * (null) unless each class has at least k cases (privacy-rule.ts).
 *
 * The coordinator pools them as a fixed-effect combination of independent per-site estimates with
 * fixed design weights w_s = n⁺_s · n⁻_s (the site's number of (positive, negative) pairs):
 *
 *   Â_m = Σ_s w_s Â_{s,m} / W,   W = Σ_s w_s              (AUC of model m)
 *   d̂   = Σ_s w_s (Â_{s,a} − Â_{s,b}) / W                 (paired difference a − b)
 *   var d̂ = Σ_s (w_s / W)² (V_{s,aa} + V_{s,bb} − 2 V_{s,ab}),   z = d̂ / √var,   p = 2 Φ(−|z|)
 *
 * Sites are independent, so the variance of the weighted sum is the weighted sum of the sites' DeLong
 * (co)variances. With these weights Â_m is exactly the Mann–Whitney AUC over all within-site pairs —
 * the stratified AUC, the sum of the sites' Mann–Whitney U over their summed pair counts (van Elteren,
 * Bull. Int. Stat. Inst. 37 (1960) 351–361, combines independent strata's Wilcoxon statistics with fixed
 * weights; Borenstein, Hedges, Higgins & Rothstein, Introduction to Meta-Analysis (2009), ch. 11, the
 * fixed-effect combination). Why these weights and not inverse-variance ones: they are fixed by the
 * design, not estimated from the scores, so the combination is unbiased for its estimand; DeLong
 * variances shrink as an AUC nears 1, so 1/var weights would favour the sites where a model looks best
 * (biasing the pooled AUC upwards) and break down at a site whose variance is 0. For one site the test is
 * pROC's `roc.test(method = "delong", paired = TRUE)`.
 *
 * What it is not: not the AUC of the pooled population (no positive is ranked against another site's
 * negatives: that would need their scores), not a random-effects estimate (a difference that varies
 * between hospitals is averaged, not modelled; the per-site differences are shown beside it).
 */
import { Z_95 } from './delong';
import { twoSidedP } from './normal';
import { placementCovariance, placements } from './placements';
import { summariesReleasable } from './privacy-rule';
import { checkLabels, checkProbabilities, countPositives, MetricsInputError } from './validate';

/** The three scores compared, in the order of every array below. */
export const COMPARED_MODELS = ['dl', 'features', 'combined'] as const;
export type ComparedModel = (typeof COMPARED_MODELS)[number];

/** The paired differences a − b the model card shows. */
export const COMPARED_PAIRS: readonly (readonly [ComparedModel, ComparedModel])[] = [
  ['combined', 'features'],
  ['dl', 'features'],
  ['combined', 'dl'],
];

/** What a site releases about the three models on its test split. */
export interface SiteModelComparison {
  n: number;
  n_pos: number;
  /** AUC of dl, features, combined (COMPARED_MODELS order); null unless each class has ≥ k cases. */
  auc: number[] | null;
  /** DeLong covariance matrix of the three AUCs, 3 rows of 3 (symmetric); null with `auc`. */
  covariance: number[][] | null;
}

/**
 * A site's comparison: the three AUCs and their DeLong covariance matrix on its test cases, withheld
 * (null) unless each class has at least k cases.
 *
 * @throws MetricsInputError on bad labels or scores (the score array's model is named).
 * @example
 * siteModelComparison([0, 0, 1, 1, 0, 1], { dl, features, combined }, 2).auc // [0.89, 0.78, 1]
 */
export function siteModelComparison(
  labels: ArrayLike<number>,
  scores: Readonly<Record<ComparedModel, ArrayLike<number>>>,
  k: number,
): SiteModelComparison {
  checkLabels(labels);
  for (const m of COMPARED_MODELS) checkProbabilities(scores[m], labels.length, `scores.${m}`);
  const n = labels.length;
  const nPos = countPositives(labels);
  if (!summariesReleasable(nPos, n - nPos, Math.max(k, 2)))
    return { n, n_pos: nPos, auc: null, covariance: null };
  const p = COMPARED_MODELS.map((m) => placements(labels, scores[m], `scores.${m}`)!);
  return {
    n,
    n_pos: nPos,
    auc: p.map((x) => x.auc),
    covariance: p.map((a) => p.map((b) => placementCovariance(labels, a, b))),
  };
}

/** An AUC with its SE and 95% CI (clipped to [0, 1]). */
export interface AucEstimate {
  auc: number;
  se: number;
  ci: [number, number];
}

/** A paired difference a − b with its SE, 95% CI (clipped to [−1, 1]), z and two-sided p. */
export interface PairedDifference {
  a: ComparedModel;
  b: ComparedModel;
  difference: number;
  se: number;
  ci: [number, number];
  /** null when the SE is 0 and the difference is not (z = ±∞); 0 when both are 0. */
  z: number | null;
  p: number;
}

/** The comparison over some sites (one site: its own figures). */
export interface ModelComparison {
  /** Test cases of the sites whose comparison was released (the others are not counted). */
  n: number;
  n_pos: number;
  sites: number;
  models: Record<ComparedModel, AucEstimate>;
  differences: PairedDifference[];
}

const at = (m: ComparedModel) => COMPARED_MODELS.indexOf(m);

/**
 * The pooled comparison (see the file comment: weights n⁺n⁻, variances from each site's DeLong
 * covariance matrix). Sites whose figures were withheld are left out; null when none is left.
 *
 * @example
 * pooledModelComparison([siteA, siteB])?.differences[0]; // { a: 'combined', b: 'features', difference, se, ci, z, p }
 */
export function pooledModelComparison(sites: readonly SiteModelComparison[]): ModelComparison | null {
  sites.forEach((s, i) => {
    const problem = siteModelComparisonProblem(s);
    if (problem) throw new MetricsInputError(`sites[${i}]: ${problem}`, 'sites', i, s);
  });
  const used = sites.filter(
    (s): s is SiteModelComparison & { auc: number[]; covariance: number[][] } =>
      s.auc !== null && s.covariance !== null,
  );
  if (used.length === 0) return null;
  const w = used.map((s) => s.n_pos * (s.n - s.n_pos));
  const total = w.reduce((a, b) => a + b, 0);
  const share = w.map((x) => x / total);
  // A linear contrast c of the three AUCs: Σ_s share_s c·Â_s and Σ_s share_s² cᵀ V_s c.
  const contrast = (c: number[]): { estimate: number; variance: number } => {
    let estimate = 0;
    let variance = 0;
    used.forEach((s, i) => {
      let e = 0;
      let v = 0;
      for (let x = 0; x < 3; x++) {
        e += c[x]! * s.auc[x]!;
        for (let y = 0; y < 3; y++) v += c[x]! * c[y]! * s.covariance[x]![y]!;
      }
      estimate += share[i]! * e;
      variance += share[i]! * share[i]! * Math.max(0, v);
    });
    return { estimate, variance };
  };
  const unit = (m: ComparedModel) => COMPARED_MODELS.map((x) => (x === m ? 1 : 0));
  const models = Object.fromEntries(
    COMPARED_MODELS.map((m) => {
      const { estimate, variance } = contrast(unit(m));
      const se = Math.sqrt(variance);
      return [
        m,
        { auc: estimate, se, ci: [Math.max(0, estimate - Z_95 * se), Math.min(1, estimate + Z_95 * se)] },
      ];
    }),
  ) as Record<ComparedModel, AucEstimate>;
  const differences = COMPARED_PAIRS.map(([a, b]): PairedDifference => {
    const c = [0, 0, 0];
    c[at(a)] = 1;
    c[at(b)] = -1;
    const { estimate: d, variance } = contrast(c);
    const se = Math.sqrt(variance);
    const z = d === 0 && se === 0 ? 0 : d / se;
    return {
      a,
      b,
      difference: d,
      se,
      ci: [Math.max(-1, d - Z_95 * se), Math.min(1, d + Z_95 * se)],
      z: Number.isFinite(z) ? z + 0 : null,
      p: twoSidedP(z),
    };
  });
  return {
    n: used.reduce((a, s) => a + s.n, 0),
    n_pos: used.reduce((a, s) => a + s.n_pos, 0),
    sites: used.length,
    models,
    differences,
  };
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * What is wrong with a site's released comparison, naming the field, or null: counts, the privacy rule
 * (figures null unless each class has ≥ k cases), AUCs in [0, 1], a symmetric covariance matrix with
 * non-negative variances and |cov| ≤ √(var·var) (a covariance matrix's 2 × 2 minors).
 *
 * @example siteModelComparisonProblem({ n: 10, n_pos: 3, auc: [0.7, 0.6, 0.8], covariance }, 5)
 * // 'auc is [0.7,0.6,0.8] with n_pos = 3 and n − n_pos = 7; the privacy rule withholds (null) …'
 */
export function siteModelComparisonProblem(c: SiteModelComparison, k = 2): string | null {
  if (!Number.isInteger(c.n) || c.n < 0) return `n is ${JSON.stringify(c.n)}; expected a case count`;
  if (!Number.isInteger(c.n_pos) || c.n_pos < 0 || c.n_pos > c.n)
    return `n_pos is ${JSON.stringify(c.n_pos)}; expected a count from 0 to n = ${c.n}`;
  if ((c.auc === null) !== (c.covariance === null))
    return `auc is ${JSON.stringify(c.auc)} and covariance ${c.covariance === null ? 'null' : 'a matrix'}; both are released or both withheld`;
  if (c.auc === null) return null;
  if (!summariesReleasable(c.n_pos, c.n - c.n_pos, Math.max(k, 2)))
    return `auc is ${JSON.stringify(c.auc)} with n_pos = ${c.n_pos} and n − n_pos = ${c.n - c.n_pos}; the privacy rule withholds (null) the score summaries unless each class has at least k = ${Math.max(k, 2)} cases`;
  if (
    !Array.isArray(c.auc) ||
    c.auc.length !== 3 ||
    !c.auc.every((x) => isFiniteNumber(x) && x >= 0 && x <= 1)
  )
    return `auc is ${JSON.stringify(c.auc)}; expected 3 AUCs in [0, 1] (${COMPARED_MODELS.join(', ')})`;
  const v = c.covariance!;
  if (
    !Array.isArray(v) ||
    v.length !== 3 ||
    !v.every((r) => Array.isArray(r) && r.length === 3 && r.every(isFiniteNumber))
  )
    return `covariance is ${JSON.stringify(v)}; expected 3 rows of 3 finite numbers`;
  for (let i = 0; i < 3; i++) {
    if (v[i]![i]! < 0) return `covariance[${i}][${i}] is ${v[i]![i]}; a variance is not negative`;
    for (let j = 0; j < i; j++) {
      const tol = 1e-12 * Math.max(1, Math.abs(v[i]![j]!));
      if (Math.abs(v[i]![j]! - v[j]![i]!) > tol)
        return `covariance[${i}][${j}] is ${v[i]![j]} but covariance[${j}][${i}] is ${v[j]![i]}; expected a symmetric matrix`;
      if (Math.abs(v[i]![j]!) > Math.sqrt(v[i]![i]! * v[j]![j]!) * (1 + 1e-9) + 1e-15)
        return `covariance[${i}][${j}] is ${v[i]![j]}, more than √(covariance[${i}][${i}] · covariance[${j}][${j}]); not a covariance matrix`;
    }
  }
  return null;
}
