/**
 * A logistic model whose k coefficients are an affine function of m ≤ k free ones,
 *
 *   β = b + Tγ   (b: k fixed values, T: k × m),
 *
 * fitted by federated IRLS on the statistics of the *full* k-column design. By the chain rule, at
 * β = b + Tγ the score of γ is Tᵀ Xᵀ(y − μ), its information Tᵀ (XᵀWX) T, and the deviance is the same
 * number (McCullagh & Nelder, Generalized Linear Models, 2nd ed., §4.4), so sites answer for the design
 * they already hold and every submodel of it is fitted exactly, offsets included: recalibration in the
 * large of a score, logit P(y=1) = a + 1·logit p, is the Platt design [1, logit p] with b = (0, 1) and
 * T = (1, 0)ᵀ.
 */
import {
  fitFederatedLogistic,
  type FederatedLogisticFit,
  type SufficientStatsSource,
} from './federated-logistic';
import type { LogisticSufficientStats } from './logistic';
import type { NewtonIrlsOptions } from './newton-irls';
import { MetricsInputError } from './validate';

/** β = base + map·γ; `map` has one row per coefficient of the full design (k rows of m entries). */
export interface AffineRestriction {
  readonly base: readonly number[];
  readonly map: readonly (readonly number[])[];
}

/** The fit of γ, and β = b + Tγ̂ (null where γ has no MLE). */
export interface RestrictedLogisticFit {
  /** γ's fit: its coefficients, standard errors, Wald p, deviance (the full model's at β̂). */
  readonly fit: FederatedLogisticFit;
  readonly coefficients: number[] | null;
}

/** β = b + Tγ. @example restrictedBeta({ base: [0, 1], map: [[1], [0]] }, [0.3]) // [0.3, 1] */
export function restrictedBeta(r: AffineRestriction, gamma: ArrayLike<number>): Float64Array {
  return Float64Array.from(r.base, (b, j) => {
    let v = b;
    r.map[j]!.forEach((t, i) => (v += t * gamma[i]!));
    return v;
  });
}

/**
 * The statistics of γ from the full design's at β = b + Tγ: information TᵀIT, score Tᵀs, deviance and
 * max |η| unchanged.
 * @example restrictedStats(stats, [[1], [0]]).information // [stats.information[0]]
 */
export function restrictedStats(
  s: LogisticSufficientStats,
  map: AffineRestriction['map'],
): LogisticSufficientStats {
  const k = s.k;
  const m = map[0]?.length ?? 0;
  const information = new Float64Array(m * m);
  const score = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    for (let j = 0; j < k; j++) score[a] = score[a]! + map[j]![a]! * s.score[j]!;
    for (let c = 0; c < m; c++) {
      let v = 0;
      for (let j = 0; j < k; j++) {
        const tja = map[j]![a]!;
        if (tja === 0) continue;
        for (let l = 0; l < k; l++) v += tja * s.information[j * k + l]! * map[l]![c]!;
      }
      information[a * m + c] = v;
    }
  }
  return { k: m, information, score, deviance: s.deviance, max_abs_eta: s.max_abs_eta };
}

/**
 * Fits γ of β = b + Tγ across sites whose `collect` answers for the full design (`fitFederatedLogistic`
 * with m coefficients and no intercept check: the fixed part b acts as an offset).
 *
 * @throws MetricsInputError when `base` and `map` do not agree in size.
 * @example
 * // Recalibration in the large: logit P = a + logit p, on the Platt design [1, logit p].
 * const r = await fitRestrictedLogistic((beta) => sites.map((s) => logisticSufficientStats(s.rows, s.y, beta)),
 *   { base: [0, 1], map: [[1], [0]] });
 * r.coefficients; // [a, 1], a as glm(y ~ 1, offset = qlogis(p), family = binomial)
 */
export async function fitRestrictedLogistic(
  collect: SufficientStatsSource,
  restriction: AffineRestriction,
  options: NewtonIrlsOptions = {},
): Promise<RestrictedLogisticFit> {
  const k = restriction.base.length;
  const m = restriction.map[0]?.length ?? 0;
  if (restriction.map.length !== k || m < 1 || restriction.map.some((row) => row.length !== m))
    throw new MetricsInputError(
      `the restriction maps ${m} free coefficients onto ${restriction.map.length} rows; expected ${k} rows (one per coefficient of base) of the same length ≥ 1`,
      'map',
      null,
    );
  const fit = await fitFederatedLogistic(
    async (gamma) => {
      const stats = await collect(restrictedBeta(restriction, gamma));
      return stats.map((s) => {
        if (s.k !== k)
          throw new MetricsInputError(`sites report k = ${s.k}; expected k = ${k}`, 'stats', null);
        return restrictedStats(s, restriction.map);
      });
    },
    { ...options, k: m, intercept: false },
  );
  return {
    fit,
    coefficients: fit.coefficients && Array.from(restrictedBeta(restriction, fit.coefficients)),
  };
}
