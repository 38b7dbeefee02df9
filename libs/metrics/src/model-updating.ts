/**
 * What the consortium fits on its sites' validation cases beside the network, re-estimating no more
 * than those few cases support (a fifth of each site's training cases: about 150 in the quality bench).
 *
 * **Recalibration of the network's score by closed testing** (Vergouwe, Nieboer, Oostenbrink, Debray,
 * Murray, Kattan, Koffijberg, Moons & Steyerberg, "A closed testing procedure to select an appropriate
 * method for updating prediction models", Stat Med 36:4529, 2017), on the Platt design [1, logit p]:
 *
 *   original        logit q = logit p               (nothing estimated)
 *   in the large    logit q = a + logit p           (Cox 1958's calibration-in-the-large)
 *   logistic        logit q = a + b·logit p         (Platt 1999; Cox 1958's recalibration)
 *
 * Step 1, the likelihood-ratio test of logistic against original (2 df): not significant at α, keep the
 * original score. Step 2, logistic against in the large (1 df): significant, logistic; else in the large.
 * Always refitting a and b, as before, stretched a network whose raw external slope was 0.87–1.01 to 0.72–0.75.
 *
 * **The combined model as an extension of the four-feature model** (model extension with a new marker:
 * Steyerberg, Clinical Prediction Models, 2nd ed. 2019, "Updating for a new setting"; Janssen, Moons,
 * Kalkman, Grobbee & Vergouwe, J Clin Epidemiol 61:76, 2008): the four-feature model's linear predictor
 * β₀ + β·f, fitted on every training and validation case, enters as an offset and only the intercept
 * shift a and the network's weight c are estimated on the validation cases:
 *
 *   logit P = a + c·logit p + (β₀ + β·f),
 *
 * written in the combined model's six terms [1, logit p, f₁…f₄] as (a + β₀, c, β₁…β₄), so what ships
 * and how it predicts are unchanged. Both fits go through the full designs' sufficient statistics
 * (`fitRestrictedLogistic`), so sites answer exactly as they did for the unrestricted fits.
 */
import { chiSquareSurvival } from './chi-square';
import { fitFederatedLogistic, sumSufficientStats, type SufficientStatsSource } from './federated-logistic';
import { fitRestrictedLogistic, type RestrictedLogisticFit } from './restricted-logistic';

export type RecalibrationMethod = 'original' | 'in-the-large' | 'logistic';

/** A likelihood-ratio test: the deviance difference, its degrees of freedom and P(χ²_df > statistic). */
export interface LikelihoodRatioTest {
  statistic: number;
  df: number;
  p: number;
}

export interface RecalibrationChoice {
  method: RecalibrationMethod;
  /** [a, b] of logit q = a + b·logit p under the chosen method ([0, 1] for the original score). */
  coefficients: [number, number];
  /** Their standard errors and Wald p; a term the method holds fixed has standard error 0 and p 1. */
  std_errors: [number, number];
  p: [number, number];
  /** The deviance of each candidate on the validation cases. */
  deviance: Record<RecalibrationMethod, number>;
  tests: { logistic_vs_original: LikelihoodRatioTest; logistic_vs_in_the_large: LikelihoodRatioTest };
  alpha: number;
}

/** Significance level of each step of the closed test (Vergouwe et al. use 0.05). */
export const RECALIBRATION_ALPHA = 0.05;

const lrTest = (reduced: number, full: number, df: number): LikelihoodRatioTest => {
  const statistic = Math.max(0, reduced - full);
  return { statistic, df, p: chiSquareSurvival(statistic, df) };
};

/**
 * The closed-testing recalibration of a score across sites whose `collect` answers with the Platt
 * design's statistics ([1, logit p] on their validation cases). Null where the logistic or the
 * in-the-large fit has no MLE (one class, separation, a constant score).
 *
 * @example
 * const r = await recalibrationByClosedTest((beta) => sites.map((s) => logisticSufficientStats(plattRows(s.p), s.y, beta)));
 * r?.method; // 'original' unless the validation cases show miscalibration at α = 0.05
 */
export async function recalibrationByClosedTest(
  collect: SufficientStatsSource,
  options: { alpha?: number } = {},
): Promise<RecalibrationChoice | null> {
  const alpha = options.alpha ?? RECALIBRATION_ALPHA;
  const logistic = await fitFederatedLogistic(collect, { k: 2 });
  if (!logistic.coefficients || logistic.deviance === null) return null;
  const inTheLarge = await fitRestrictedLogistic(collect, { base: [0, 1], map: [[1], [0]] });
  if (!inTheLarge.coefficients || inTheLarge.fit.deviance === null) return null;
  const original = sumSufficientStats(await collect(Float64Array.of(0, 1))).deviance;
  const deviance = {
    original,
    'in-the-large': inTheLarge.fit.deviance,
    logistic: logistic.deviance,
  };
  const tests = {
    logistic_vs_original: lrTest(original, logistic.deviance, 2),
    logistic_vs_in_the_large: lrTest(inTheLarge.fit.deviance, logistic.deviance, 1),
  };
  const method: RecalibrationMethod =
    tests.logistic_vs_original.p >= alpha
      ? 'original'
      : tests.logistic_vs_in_the_large.p < alpha
        ? 'logistic'
        : 'in-the-large';
  const fixed = { coefficients: [0, 1], std_errors: [0, 0], p: [1, 1] };
  const chosen =
    method === 'original'
      ? fixed
      : method === 'in-the-large'
        ? {
            coefficients: [inTheLarge.coefficients[0]!, 1],
            std_errors: [inTheLarge.fit.std_errors![0]!, 0],
            p: [inTheLarge.fit.p![0]!, 1],
          }
        : { coefficients: logistic.coefficients, std_errors: logistic.std_errors!, p: logistic.p! };
  const pair = (v: readonly number[]): [number, number] => [v[0]!, v[1]!];
  return {
    method,
    coefficients: pair(chosen.coefficients),
    std_errors: pair(chosen.std_errors),
    p: pair(chosen.p),
    deviance,
    tests,
    alpha,
  };
}

/**
 * The combined model [1, logit p, f₁…f₄] as the four-feature model `featureModel` ([β₀, β₁…β₄]) extended
 * by the network's logit, across sites whose `collect` answers with the combined design's statistics:
 * only the intercept shift and the network's weight are estimated.
 *
 * @example
 * const r = await fitFeatureModelExtension(collect, [-3.1, 0.08, 0.9, 0.7, 1.1]);
 * r.coefficients; // [-3.1 + a, c, 0.08, 0.9, 0.7, 1.1]
 */
export function fitFeatureModelExtension(
  collect: SufficientStatsSource,
  featureModel: readonly number[],
): Promise<RestrictedLogisticFit> {
  const [b0, ...b] = featureModel;
  return fitRestrictedLogistic(collect, {
    base: [b0!, 0, ...b],
    map: [[1, 0], [0, 1], ...b.map(() => [0, 0])],
  });
}
