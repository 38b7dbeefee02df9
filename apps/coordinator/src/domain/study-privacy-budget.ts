import { privacyBudget, type PrivacyBudget } from '@fedaln/privacy';
import type { StudySpec } from './study-spec';

/**
 * The DP-SGD steps one site takes per round under the study's `dp`: `local_epochs` passes of
 * Poisson sampling at rate q are ⌈local_epochs / q⌉ steps (one pass is 1/q steps in expectation).
 * The accountant charges this count; site-side DP-SGD (issue 16, not built yet) must take no more.
 *
 * @example dpStepsPerRound({ local_epochs: 1, dp: { sampling_rate: 0.016 } }) // 63
 */
export function dpStepsPerRound(
  spec: Pick<StudySpec, 'local_epochs'> & { dp: { sampling_rate: number } },
): number {
  return Math.ceil(spec.local_epochs / spec.dp.sampling_rate - 1e-9);
}

/**
 * Whether round `roundsDone + 1` keeps every site's patients within the study's (max_epsilon, δ), per
 * {@link privacyBudget} with {@link dpStepsPerRound} steps per site and round; `null` for a study
 * without `dp`. Every site takes the same steps (shared q and local_epochs), so they spend alike.
 *
 * @example studyPrivacyBudget(spec, 3)?.nextRoundAllowed // false once round 4 would pass max_epsilon
 */
export function studyPrivacyBudget(spec: StudySpec, roundsDone: number): PrivacyBudget | null {
  const { dp } = spec;
  if (!dp) return null;
  const stepsPerRound = dpStepsPerRound({ local_epochs: spec.local_epochs, dp });
  return privacyBudget(
    dp,
    spec.sites.map((site) => ({ site, stepsPerRound })),
    roundsDone,
  );
}
