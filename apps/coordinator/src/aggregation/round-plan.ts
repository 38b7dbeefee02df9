import type { ScreeningOptions } from '@fedaln/aggregation';
import { DomainError } from '../domain/domain-error';
import {
  robustnessOf,
  strategyOf,
  type AggregatorKind,
  type ResolvedStrategy,
  type StudySpec,
} from '../domain/study-spec';
import type { StudyRepository } from '../studies/study.repository';

/** How a study's rounds combine their updates (the study spec's `robustness`, issue 13). */
export interface RoundPlan {
  /** The round's numeric range is cut into this many shares: one per study site. */
  readonly shares: number;
  /** Updates a round needs after screening (the study's `min_sites`). */
  readonly minSites: number;
  /** Screening thresholds, or null when the study turned screening off. */
  readonly screening: ScreeningOptions | null;
  readonly aggregator: AggregatorKind;
  readonly trimBeta: number;
  /** The study's strategy (README "Strategies"): FedBN's shared tensors, FedAdam's server step. */
  readonly strategy: ResolvedStrategy;
  /** Secure aggregation (issue 16): the masked sum is unmasked by `MaskedRounds`, never folded here. */
  readonly secure: boolean;
  /** The study's `grid_scale` (one grid for every tensor), or undefined: each tensor's from the global. */
  readonly gridScale?: number;
}

/** Where the aggregator finds a study's plan. */
export interface RoundPlans {
  planOf(studyId: string): Promise<RoundPlan>;
}

/**
 * The plan of a study spec, defaults filled (`robustnessOf`).
 *
 * @example
 * roundPlanOf(spec); // { shares: 3, minSites: 2, screening: { clipFactor: 3, … }, aggregator: 'fedavg', trimBeta: 0.2, strategy: { name: 'fedavg' }, secure: false }
 */
export function roundPlanOf(
  spec: Pick<
    StudySpec,
    'sites' | 'min_sites' | 'robustness' | 'secure_aggregation' | 'strategy' | 'grid_scale'
  >,
): RoundPlan {
  const r = robustnessOf(spec);
  return {
    shares: Math.max(1, spec.sites.length),
    minSites: spec.min_sites,
    // Secure aggregation hides the individual updates screening needs (validateStudySpec refuses an explicit `screening: true`).
    screening:
      r.screening && !spec.secure_aggregation
        ? { clipFactor: r.clip_factor, rejectCosine: r.reject_cosine, downWeightCosine: r.down_weight_cosine }
        : null,
    aggregator: r.aggregator,
    trimBeta: r.trim_beta,
    strategy: strategyOf(spec),
    secure: spec.secure_aggregation !== undefined,
    ...(spec.grid_scale === undefined ? {} : { gridScale: spec.grid_scale }),
  };
}

/**
 * True when updates can be folded as they arrive: plain FedAvg without screening. Otherwise the
 * round's updates are screened and combined together at aggregation (`combineScreened`).
 */
export function foldsOnArrival(plan: RoundPlan): boolean {
  return plan.screening === null && plan.aggregator === 'fedavg';
}

/** Plans read from the stored study specs. */
export class StudyRoundPlans implements RoundPlans {
  constructor(private readonly studies: StudyRepository) {}

  async planOf(studyId: string): Promise<RoundPlan> {
    const study = await this.studies.findById(studyId);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${studyId}`);
    return roundPlanOf(study.spec);
  }
}
