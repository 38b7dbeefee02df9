import type { DpSettings } from './dp-settings';
import { dpSgdEpsilon } from './dp-sgd-epsilon';
import type { PrivacySpent } from './rdp-to-epsilon';

/** One site's steps: how many noisy DP-SGD steps it takes per round. */
export interface SiteStepsPerRound {
  readonly site: string;
  readonly stepsPerRound: number;
}

/** One site's account before and after the next round. */
export interface SiteBudget {
  readonly site: string;
  /** ε spent by this site's patients over the rounds done (0 at order NaN before any step). */
  readonly spent: PrivacySpent;
  /** ε they would have spent after one more round. */
  readonly afterNextRound: PrivacySpent;
  readonly exceeds: boolean;
}

export interface PrivacyBudget {
  /** True when every site stays within `max_epsilon` after the next round. */
  readonly nextRoundAllowed: boolean;
  readonly maxEpsilon: number;
  readonly delta: number;
  readonly sites: readonly SiteBudget[];
}

/**
 * Whether one more round keeps every site's patients within the study's (max_epsilon, δ). A patient's
 * records live at one site, so only that site's steps compose for them (parallel composition across
 * disjoint data); at the site, RDP adds over every step of every round (Mironov 2017, Prop. 1), so
 * after r rounds of s steps the site has spent dpSgdEpsilon(σ, q, r·s, δ). ε of the whole study is the
 * largest over sites.
 *
 * @example
 * privacyBudget(
 *   { noise_multiplier: 1.1, clip_norm: 1, sampling_rate: 0.01, max_epsilon: 8, delta: 1e-5 },
 *   [{ site: 'a', stepsPerRound: 100 }],
 *   3,
 * ).nextRoundAllowed // true: 400 steps spend ε ≈ 1.24
 */
export function privacyBudget(
  dp: DpSettings,
  sites: readonly SiteStepsPerRound[],
  roundsDone: number,
): PrivacyBudget {
  if (!(Number.isInteger(roundsDone) && roundsDone >= 0))
    throw new RangeError(`roundsDone ${roundsDone} is not an integer ≥ 0`);
  const spentAfter = (steps: number): PrivacySpent =>
    steps === 0
      ? { epsilon: 0, order: NaN }
      : dpSgdEpsilon(
          { noiseMultiplier: dp.noise_multiplier, samplingRate: dp.sampling_rate, steps },
          dp.delta,
        );
  const budgets = sites.map(({ site, stepsPerRound }): SiteBudget => {
    if (!(Number.isInteger(stepsPerRound) && stepsPerRound >= 0))
      throw new RangeError(`site ${site}: steps per round ${stepsPerRound} is not an integer ≥ 0`);
    const afterNextRound = spentAfter((roundsDone + 1) * stepsPerRound);
    return {
      site,
      spent: spentAfter(roundsDone * stepsPerRound),
      afterNextRound,
      exceeds: afterNextRound.epsilon > dp.max_epsilon,
    };
  });
  return {
    nextRoundAllowed: budgets.every((b) => !b.exceeds),
    maxEpsilon: dp.max_epsilon,
    delta: dp.delta,
    sites: budgets,
  };
}
