import { dpSgdEpsilon, privacyBudget, type PrivacyBudget } from '@fedaln/privacy';
import type { DpTrainingPayload } from '@fedaln/protocol';
import type { StudySpec } from './study-spec';

/**
 * The DP-SGD steps one site takes per round under the study's `dp`: `local_epochs` passes of
 * Poisson sampling at rate q are ⌈local_epochs / q⌉ steps (one pass is 1/q steps in expectation).
 * The accountant charges this count, and the train task tells the site to take exactly this many.
 *
 * @example dpStepsPerRound({ local_epochs: 1, dp: { sampling_rate: 0.016 } }) // 63
 */
export function dpStepsPerRound(
  spec: Pick<StudySpec, 'local_epochs'> & { dp: { sampling_rate: number } },
): number {
  return Math.ceil(spec.local_epochs / spec.dp.sampling_rate - 1e-9);
}

/**
 * What a site's train task carries for DP-SGD: the study's σ, C, q and steps per round; null for a
 * study without `dp` or with `accounting_only` (no noise at the sites).
 *
 * @example dpTrainingOf(spec) // { noise_multiplier: 1.1, clip_norm: 1, sampling_rate: 0.05, steps: 20 }
 */
export function dpTrainingOf(spec: Pick<StudySpec, 'local_epochs' | 'dp'>): DpTrainingPayload | null {
  const { dp } = spec;
  if (!dp || dp.accounting_only === true) return null;
  return {
    noise_multiplier: dp.noise_multiplier,
    clip_norm: dp.clip_norm,
    sampling_rate: dp.sampling_rate,
    steps: dpStepsPerRound({ local_epochs: spec.local_epochs, dp }),
  };
}

/** A round as the accountant sees it. */
export interface ChargedRound {
  readonly number: number;
  readonly attempt: number;
  readonly state: string;
}

/**
 * Training passes a study's sites have made in the rounds given: every attempt of a round that
 * reached training sent train tasks, and a site that trained in an attempt that was then retried has
 * spent that attempt's steps too, so each is charged (an upper bound: a site absent from an attempt
 * spent nothing). A round still `waiting` has sent no task in its current attempt.
 *
 * @example trainingPasses([{ number: 1, attempt: 1, state: 'completed' }, { number: 2, attempt: 2, state: 'training' }]) // 3
 */
export function trainingPasses(rounds: readonly ChargedRound[]): number {
  return rounds.reduce((sum, r) => sum + (r.state === 'waiting' ? r.attempt - 1 : r.attempt), 0);
}

/**
 * Whether one more training pass keeps every site's patients within the study's (max_epsilon, δ),
 * per {@link privacyBudget} with {@link dpStepsPerRound} steps per site and pass, after `passesDone`
 * passes ({@link trainingPasses}); `null` for a study without `dp`. Every site takes the same steps
 * (shared q and local_epochs), so they spend alike.
 *
 * @example studyPrivacyBudget(spec, 3)?.nextRoundAllowed // false once a 4th pass would pass max_epsilon
 */
export function studyPrivacyBudget(spec: StudySpec, passesDone: number): PrivacyBudget | null {
  const { dp } = spec;
  if (!dp) return null;
  const stepsPerRound = dpStepsPerRound({ local_epochs: spec.local_epochs, dp });
  return privacyBudget(
    dp,
    spec.sites.map((site) => ({ site, stepsPerRound })),
    passesDone,
  );
}

/** ε of one site's patients after a round. */
export interface SiteEpsilon {
  readonly site: string;
  readonly epsilon: number;
  /** The RDP order that attains it. */
  readonly order: number;
}

/** The privacy spent by the end of one round (cumulative over the study so far). */
export interface RoundPrivacy {
  readonly round: number;
  /** DP-SGD steps each site is charged for, over rounds 1…round and their attempts. */
  readonly steps: number;
  /** False for `accounting_only` studies: ε is what the stated noise would spend; none was added. */
  readonly noiseAdded: boolean;
  readonly delta: number;
  readonly maxEpsilon: number;
  readonly sites: readonly SiteEpsilon[];
}

/**
 * ε per site at the end of each round, computed by the coordinator's accountant from what the study
 * fixes (σ, q, steps per round, δ) and the rounds' attempts (never from what a site reports); empty
 * for a study without `dp`.
 *
 * @example roundPrivacyLedger(spec, [{ number: 1, attempt: 1, state: 'completed' }]).get(1)?.sites[0]?.epsilon
 */
export function roundPrivacyLedger(
  spec: Pick<StudySpec, 'local_epochs' | 'dp' | 'sites'>,
  rounds: readonly ChargedRound[],
): Map<number, RoundPrivacy> {
  const ledger = new Map<number, RoundPrivacy>();
  const { dp } = spec;
  if (!dp) return ledger;
  const stepsPerRound = dpStepsPerRound({ local_epochs: spec.local_epochs, dp });
  const sorted = [...rounds].sort((a, b) => a.number - b.number);
  let passes = 0;
  for (const round of sorted) {
    passes += trainingPasses([round]);
    const steps = passes * stepsPerRound;
    const spent =
      steps === 0
        ? { epsilon: 0, order: NaN }
        : dpSgdEpsilon(
            { noiseMultiplier: dp.noise_multiplier, samplingRate: dp.sampling_rate, steps },
            dp.delta,
          );
    ledger.set(round.number, {
      round: round.number,
      steps,
      noiseAdded: dp.accounting_only !== true,
      delta: dp.delta,
      maxEpsilon: dp.max_epsilon,
      sites: spec.sites.map((site) => ({ site, epsilon: spent.epsilon, order: spent.order })),
    });
  }
  return ledger;
}
