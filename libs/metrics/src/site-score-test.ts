/**
 * Does one site's data follow the federation's model? Rao's score test (Rao 1948; Cox & Hinkley,
 * Theoretical Statistics, §9.3) of a site-specific shift of every coefficient, from the sufficient
 * statistics the sites already send for federated IRLS (`logisticSufficientStats`), at the pooled MLE β̂.
 *
 * The alternative logit P(y=1) = Xβ + 1[site = s]·Xγ has score for γ at (β̂, γ = 0) U_s = X_sᵀ(y_s − μ_s),
 * site s's own score, and efficient information V_s = I_s − I_s I⁻¹ I_s (I = Σ I_j; the Schur complement
 * of the joint information of (β, γ)), so
 *
 *   T_s = U_sᵀ V_s⁻¹ U_s ~ χ²_k under H₀ (site s's cases follow the pooled model), p_s = P(χ²_k > T_s).
 *
 * A site training on shuffled labels has y independent of X, so its score points away from the
 * pooled slopes and T_s grows with its case count; a site whose case mix differs but whose
 * outcome given the features follows the same model stays χ²_k. Reference values:
 * libs/metrics/fixtures/make_site_heterogeneity.py (numpy: the full augmented-design information
 * inverted, not this Schur form; scipy.stats.chi2.sf).
 */
import { chiSquareSurvival } from './chi-square';
import { cholesky, choleskySolve } from './linalg';
import type { LogisticSufficientStats } from './logistic';
import { MetricsInputError } from './validate';

export interface SiteScoreTest {
  /** T_s; null when its information is singular (a site with too few cases, or the only site): no test. */
  readonly statistic: number | null;
  /** Degrees of freedom: the tested coefficients, k minus the `free` ones. */
  readonly df: number;
  /** P(χ²_df > T_s); null with `statistic`. */
  readonly p: number | null;
}

export interface SiteScoreTestOptions {
  /**
   * Coefficients each site may shift freely (not tested), e.g. `[0]`: a site's own intercept (its
   * baseline odds may differ; the phantom draws a logit offset per site). Neyman's C(α) form
   * (Cox & Hinkley §9.3): the tested score is adjusted for them, U_B − J_BR J_RR⁻¹ U_R, with
   * information J_BB − J_BR J_RR⁻¹ J_RB, J the joint information of (β, γ). Default none.
   */
  readonly free?: readonly number[];
}

/**
 * Each site's score test against the pooled model; `stats[i]` must be site i's statistics at the
 * pooled MLE β̂ (where their scores sum to ~0).
 *
 * @throws MetricsInputError when there are no statistics, their k differ, `free` is out of range, or
 * the pooled information is singular.
 * @example
 * // three sites at the pooled MLE; the third's outcome ignores the covariate
 * siteScoreTests([a, b, c], { free: [0] }).map((t) => t.p); // e.g. [0.61, 0.42, 0.0003]
 */
export function siteScoreTests(
  stats: readonly LogisticSufficientStats[],
  options: SiteScoreTestOptions = {},
): SiteScoreTest[] {
  const k = stats[0]?.k;
  if (k === undefined)
    throw new MetricsInputError('no site statistics; expected at least one', 'stats', null);
  const total = new Float64Array(k * k);
  stats.forEach((s, i) => {
    if (s.k !== k || s.information.length !== k * k || s.score.length !== k)
      throw new MetricsInputError(`stats[${i}] has k = ${s.k}; expected k = ${k} like stats[0]`, 'stats', i);
    for (let j = 0; j < k * k; j++) total[j] = total[j]! + s.information[j]!;
  });
  const free = [...new Set(options.free ?? [])];
  free.forEach((f) => {
    if (!(Number.isInteger(f) && f >= 0 && f < k))
      throw new MetricsInputError(`free holds ${f}; expected coefficient indices 0…${k - 1}`, 'free', null);
  });
  if (!cholesky(total, k))
    throw new MetricsInputError(
      'the pooled information ΣXᵀWX is singular; a score test needs a pooled fit with an MLE',
      'stats',
      null,
    );
  // Joint (β, γ) of size 2k: J = [[I, A], [A, A]] with A the site's information; U = [0, U_s] at β̂.
  const rest = [...Array.from({ length: k }, (_, j) => j), ...free.map((f) => k + f)];
  const tested = Array.from({ length: k }, (_, j) => k + j).filter((j) => !rest.includes(j));
  return stats.map((s) => {
    const a = s.information;
    const joint = (r: number, c: number): number =>
      r < k && c < k ? total[r * k + c]! : a[(r % k) * k + (c % k)]!;
    const u = (r: number): number => (r < k ? 0 : s.score[r - k]!);
    const nr = rest.length;
    const jrr = new Float64Array(nr * nr);
    rest.forEach((r, i) => rest.forEach((c, j) => (jrr[i * nr + j] = joint(r, c))));
    const lrr = cholesky(jrr, nr, 1e-8);
    const nb = tested.length;
    if (!lrr) return { statistic: null, df: nb, p: null };
    const score = new Float64Array(nb);
    const info = new Float64Array(nb * nb);
    const restScore = choleskySolve(lrr, nr, rest.map(u));
    const restCols = tested.map((b) =>
      choleskySolve(
        lrr,
        nr,
        rest.map((r) => joint(r, b)),
      ),
    );
    tested.forEach((b, i) => {
      let x = u(b);
      for (let m = 0; m < nr; m++) x -= joint(b, rest[m]!) * restScore[m]!;
      score[i] = x;
      tested.forEach((c, j) => {
        let y = joint(b, c);
        for (let m = 0; m < nr; m++) y -= joint(b, rest[m]!) * restCols[j]![m]!;
        info[i * nb + j] = y;
      });
    });
    for (let r = 0; r < nb; r++)
      for (let c = 0; c < r; c++)
        info[r * nb + c] = info[c * nb + r] = (info[r * nb + c]! + info[c * nb + r]!) / 2;
    const l = cholesky(info, nb, 1e-8);
    if (!l) return { statistic: null, df: nb, p: null };
    const w = choleskySolve(l, nb, score);
    let t = 0;
    for (let j = 0; j < nb; j++) t += score[j]! * w[j]!;
    return { statistic: t, df: nb, p: chiSquareSurvival(t, nb) };
  });
}

/** A site's test from `stepDownSiteScoreTests`: its last test, and whether it was flagged. */
export interface SteppedSiteScoreTest extends SiteScoreTest {
  readonly flagged: boolean;
}

/**
 * Site score tests that one bad site cannot turn against the honest ones: the most extreme site
 * below `threshold` is flagged and left out, the pooled fit moves to the remaining sites by one
 * Newton step from their statistics (δ = (Σ I_j)⁻¹ Σ U_j, each score becoming U_j − I_j δ, so they
 * sum to 0 again), and the rest are tested again, until none is below `threshold` or fewer than 3
 * remain. A site's reported test is its last: a flagged site's when it was flagged, the others' against
 * the federation without the flagged sites — or none (null statistic and p) when only two are left. Without this step, a shuffled site with slopes ≈ 0 pulls the
 * pooled slopes towards 0 and honest sites with clear slopes look as if they disagree
 * (bench/site-disagreement.ts measures both).
 *
 * @throws MetricsInputError as `siteScoreTests`.
 * @example stepDownSiteScoreTests(stats, 0.01, { free: [0] }).filter((t) => t.flagged);
 */
export function stepDownSiteScoreTests(
  stats: readonly LogisticSufficientStats[],
  threshold: number,
  options: SiteScoreTestOptions = {},
): SteppedSiteScoreTest[] {
  const out: SteppedSiteScoreTest[] = siteScoreTests(stats, options).map((t) => ({ ...t, flagged: false }));
  let current = stats.map((s) => ({ ...s }));
  let active = stats.map((_, i) => i);
  for (;;) {
    const tests = siteScoreTests(
      active.map((i) => current[i]!),
      options,
    );
    active.forEach((i, j) => (out[i] = { ...tests[j]!, flagged: false }));
    let worst = -1;
    active.forEach((i, j) => {
      const p = tests[j]!.p;
      if (p !== null && p < threshold && (worst < 0 || p < out[worst]!.p!)) worst = i;
    });
    if (worst < 0) return out;
    if (active.length <= 3) {
      // Two would be left: each one's test is the other's mirror, so neither can be told apart.
      for (const i of active) out[i] = i === worst ? { ...out[i]!, flagged: true } : untested(out[i]!);
      return out;
    }
    out[worst] = { ...out[worst]!, flagged: true };
    active = active.filter((i) => i !== worst);
    current = relinearised(current, active);
  }
}

const untested = (t: SteppedSiteScoreTest): SteppedSiteScoreTest => ({
  statistic: null,
  df: t.df,
  p: null,
  flagged: false,
});

/** The `active` sites' statistics moved by one Newton step to their own pooled fit (see above). */
function relinearised(
  stats: LogisticSufficientStats[],
  active: readonly number[],
): LogisticSufficientStats[] {
  const k = stats[0]!.k;
  const info = new Float64Array(k * k);
  const score = new Float64Array(k);
  for (const i of active) {
    for (let j = 0; j < k * k; j++) info[j] = info[j]! + stats[i]!.information[j]!;
    for (let j = 0; j < k; j++) score[j] = score[j]! + stats[i]!.score[j]!;
  }
  const l = cholesky(info, k);
  if (!l) return stats;
  const delta = choleskySolve(l, k, score);
  return stats.map((s, i) => {
    if (!active.includes(i)) return s;
    const moved = new Float64Array(k);
    for (let r = 0; r < k; r++) {
      let x = s.score[r]!;
      for (let c = 0; c < k; c++) x -= s.information[r * k + c]! * delta[c]!;
      moved[r] = x;
    }
    return { ...s, score: moved };
  });
}
