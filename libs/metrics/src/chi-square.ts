/**
 * Upper tail of the chi-square distribution, P(χ²_df > x) = Q(df/2, x/2), the regularised upper
 * incomplete gamma function, by its series (x < a + 1, as 1 − P) or its Lentz continued fraction
 * (otherwise, Q directly, so small tails keep their relative accuracy) — Press et al., Numerical
 * Recipes, 3rd ed., §6.2 (`gammp`/`gammq`); ln Γ by Lanczos (g = 7, 9 terms; same, §6.1).
 * Matches scipy.stats.chi2.sf to ~1e-13 relative (libs/metrics/fixtures/make_site_heterogeneity.py).
 */
import { MetricsInputError } from './validate';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos). @example logGamma(5) // ln 24 = 3.1780538303479458 */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * P(χ²_df > x): the p-value of a chi-square statistic x with df degrees of freedom.
 *
 * @throws MetricsInputError when df is not a positive number or x is NaN.
 * @example chiSquareSurvival(3.841458820694124, 1) // 0.05
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0) || !Number.isFinite(df))
    throw new MetricsInputError(`df is ${df}; expected a positive number of degrees of freedom`, 'df', null);
  if (Number.isNaN(x)) throw new MetricsInputError('x is NaN; expected a chi-square statistic', 'x', null);
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const a = df / 2;
  const h = x / 2;
  const lead = -h + a * Math.log(h) - logGamma(a);
  if (h < a + 1) {
    // P(a, h) = e^{−h} h^a / Γ(a) · Σₙ hⁿ / (a (a+1) … (a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= h / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // Q(a, h) = e^{−h} h^a / Γ(a) · 1/(h+1−a− 1·(1−a)/(h+3−a− 2·(2−a)/(h+5−a− …))), modified Lentz
  const tiny = 1e-300;
  let b = h + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let f = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lead) * f;
}
