/**
 * The learning rate of each round of a simulated study. `constant`: the study's rate every round.
 * `cosine`: cosine annealing over the run's rounds (Loshchilov & Hutter, "SGDR", ICLR 2017, without
 * restarts), evaluated at the middle of round r of R,
 *
 *   η_r = η · ½ · (1 + cos(π · (r − ½) / R)),
 *
 * so the first round trains near η and the last near 0: local Adam steps late in a run move the
 * shared model less, and the rounds' updates settle instead of circling at η's noise level. A round
 * is the schedule's unit for every strategy, so centralised and local-only training (one run of
 * R × E epochs) step down at the same points.
 */
export const LEARNING_RATE_SCHEDULES = ['constant', 'cosine'] as const;
export type LearningRateSchedule = (typeof LEARNING_RATE_SCHEDULES)[number];

/**
 * @example roundLearningRate(0.004, 1, 4, 'cosine') // 0.004 · 0.962 ≈ 0.00385
 * @example roundLearningRate(0.004, 4, 4, 'cosine') // 0.004 · 0.038 ≈ 0.00015
 */
export function roundLearningRate(
  base: number,
  round: number,
  rounds: number,
  schedule: LearningRateSchedule,
): number {
  if (!(Number.isInteger(round) && round >= 1 && round <= rounds))
    throw new Error(`round ${round} is not in 1…${rounds}`);
  if (schedule === 'constant') return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * (round - 0.5)) / rounds));
}
