/**
 * The data a simulated study runs on: training sites, each with its train, validation and test
 * cases held in memory as model inputs, and external sites that never train (new hospitals).
 */
import type { FeatureCells } from '@fedaln/metrics';
import { createPrng, deriveSeed, stratifiedSplit } from '@fedaln/site-data';

/** One case: the normalised HWC image the model sees, its label, and its labels.csv feature cells. */
export interface SimCase {
  readonly caseId: string;
  readonly image: Float32Array;
  readonly label: 0 | 1;
  readonly features: FeatureCells;
}

/** A training site: `train` trains the network, `validation` fits recalibration and the combined model. */
export interface SimSite {
  readonly name: string;
  readonly train: readonly SimCase[];
  readonly validation: readonly SimCase[];
  readonly test: readonly SimCase[];
}

/** A site that never trains: its cases are scored (and, with FedBN, its images adapt BatchNorm). */
export interface ExternalSite {
  readonly name: string;
  readonly cases: readonly SimCase[];
}

export interface SimCohort {
  readonly sites: readonly SimSite[];
  readonly external: readonly ExternalSite[];
}

/** Stream of the validation hold-out (distinct from the site folder's split streams). */
const VALIDATION_STREAM = 0x7a1d;

/**
 * Splits a site's training cases into train and validation, stratified by label (the study's split
 * rule, `stratifiedSplit` of @fedaln/site-data) with `fraction` of each class held out; the same
 * seed and site give the same split.
 *
 * @example holdOutValidation(cases, 0.2, 1, 0) // { train: ~80 % of cases, validation: ~20 % }
 */
export function holdOutValidation(
  cases: readonly SimCase[],
  fraction: number,
  seed: number,
  siteIndex: number,
): { train: SimCase[]; validation: SimCase[] } {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new Error(`validation fraction ${fraction} is not in [0, 1); pass e.g. --validation-fraction 0.2`);
  }
  const split = stratifiedSplit(
    cases.map((c) => c.label),
    {
      random: (label) => createPrng(deriveSeed(seed, VALIDATION_STREAM, siteIndex, label)),
      testFraction: fraction,
    },
  );
  return {
    train: cases.filter((_, i) => split[i] === 'train'),
    validation: cases.filter((_, i) => split[i] === 'test'),
  };
}

/** Labels of cases, in order. */
export const labelsOf = (cases: readonly SimCase[]): (0 | 1)[] => cases.map((c) => c.label);
