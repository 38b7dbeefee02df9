import type { LogisticSufficientStats } from '@fedaln/metrics';

/** A site's `features:stats` statistics, checked, or why they cannot be used. */
export type CheckedFeatureStats =
  | { readonly ok: true; readonly stats: LogisticSufficientStats }
  | { readonly ok: false; readonly reason: string };

const describe = (v: unknown): string =>
  Array.isArray(v) ? `an array of length ${v.length}` : v === null ? 'null' : `of type ${typeof v}`;

/** A finite-number array of exactly `length` entries, or what is wrong with it; reads no further. */
function vectorProblem(name: string, v: unknown, length: number): string | null {
  // Checked before anything is allocated from it: `{ length: 1e8 }` is not an array, and an array of
  // the wrong length is refused before its entries are read.
  if (!Array.isArray(v) || v.length !== length)
    return `${name} is ${describe(v)}; expected an array of ${length} finite numbers`;
  for (let i = 0; i < length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x))
      return `${name}[${i}] is ${JSON.stringify(x) ?? String(x)}; expected a finite number`;
  }
  return null;
}

const finiteProblem = (name: string, v: unknown, min: number): string | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= min
    ? null
    : `${name} is ${JSON.stringify(v) ?? String(v)}; expected a finite number ≥ ${min}`;

/**
 * Checks a site's wire statistics against the study's model of `k` coefficients (intercept and
 * covariates, FEATURE_MODEL_TERMS) before anything is allocated from them: `k` must be the study's,
 * `information` an array of k² and `score` of k finite numbers, `deviance` and `max_abs_eta` finite
 * and ≥ 0. A site runs the client and may answer anything; a bad answer leaves it out of the fit.
 *
 * @example
 * checkFeatureStats({ k: 1, information: [2], score: [0.5], deviance: 3, max_abs_eta: 0 }, 1); // { ok: true, stats }
 * checkFeatureStats({ k: 5, information: { length: 1e8 }, … }, 5).reason; // 'information is of type object; expected an array of 25 finite numbers …'
 */
export function checkFeatureStats(raw: unknown, k: number): CheckedFeatureStats {
  const fail = (reason: string): CheckedFeatureStats => ({
    ok: false,
    reason: `${reason} (a site client's features:stats answer must match the study's ${k}-term feature model; update the site client)`,
  });
  if (typeof raw !== 'object' || raw === null) return fail(`stats is ${describe(raw)}; expected an object`);
  const s = raw as Record<string, unknown>;
  if (s.k !== k) return fail(`k is ${JSON.stringify(s.k) ?? String(s.k)}; expected ${k}`);
  const problem =
    vectorProblem('information', s.information, k * k) ??
    vectorProblem('score', s.score, k) ??
    finiteProblem('deviance', s.deviance, 0) ??
    finiteProblem('max_abs_eta', s.max_abs_eta, 0);
  if (problem) return fail(problem);
  return {
    ok: true,
    stats: {
      k,
      information: Float64Array.from(s.information as number[]),
      score: Float64Array.from(s.score as number[]),
      deviance: s.deviance as number,
      max_abs_eta: s.max_abs_eta as number,
    },
  };
}
