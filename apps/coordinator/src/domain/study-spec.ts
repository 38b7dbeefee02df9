import { DEFAULT_MIN_CELL_COUNT } from '@fedaln/metrics';
import type { DpSettings } from '@fedaln/privacy';
import { FEDADAM_DEFAULTS, type FedAdamOptions } from '@fedaln/aggregation';
import type { SiteStrategy } from '@fedaln/protocol';

/**
 * A study as the lead writes it (study.json; DESIGN.md "Rounds" and "Evaluation and release").
 * Field names are the file's snake_case so the JSON, the REST body and the stored spec are one shape.
 */
export interface ReleasePolicySpec {
  readonly min_site_auc: number;
  readonly min_pooled_auc: number;
  /** Risk-threshold range [lo, hi] where net benefit must beat treat-all and treat-none. */
  readonly dca_range: readonly [number, number];
  readonly min_sites_passing: 'all' | number;
}

/** How a round's updates are combined (issue 13). */
export const AGGREGATORS = ['fedavg', 'median', 'trimmed_mean'] as const;
export type AggregatorKind = (typeof AGGREGATORS)[number];

/**
 * Defences against a broken or hostile site (README "Threat model"): what a site's update may
 * weigh, how updates are screened before they are combined, and how they are combined.
 */
export interface RobustnessSpec {
  /** `fedavg` (sample-weighted mean, default), `median` or `trimmed_mean` (coordinate-wise). */
  readonly aggregator: AggregatorKind;
  /** `trimmed_mean`: the fraction of a coordinate's values dropped at each end, 0 ≤ β < 0.5. */
  readonly trim_beta: number;
  /** Screen every update (norms, cosine to the round's robust centre) before it is combined. */
  readonly screening: boolean;
  /** Norm clipping bound = the round's median update norm × clip_factor; 0 turns clipping off. */
  readonly clip_factor: number;
  /** An update whose cosine to the round's robust centre is below this is rejected. */
  readonly reject_cosine: number;
  /** Below this cosine (and at or above reject_cosine) an update is down-weighted in proportion. */
  readonly down_weight_cosine: number;
  /** The most cases one site's update may weigh, whatever the lead approved for it. */
  readonly max_site_cases: number;
}

/** The defences a study gets when its file names none (README "Threat model"). */
export const DEFAULT_ROBUSTNESS: RobustnessSpec = Object.freeze({
  aggregator: 'fedavg',
  trim_beta: 0.2,
  screening: true,
  clip_factor: 3,
  reject_cosine: 0,
  down_weight_cosine: 0.2,
  max_site_cases: 50_000,
});

/** A study's defences with the defaults filled in (specs stored before issue 13 have none). */
export function robustnessOf(spec: Pick<StudySpec, 'robustness'>): RobustnessSpec {
  return { ...DEFAULT_ROBUSTNESS, ...spec.robustness };
}

/**
 * The privacy rule of a study's evaluation reports (issue 14; @fedaln/metrics privacy-rule.ts): every
 * count a site releases covers 0 or at least `min_cell_count` (k) cases of a class. k below
 * `MIN_CELL_COUNT_FLOOR` (5) needs a written `override_reason` (e.g. phantom data in a test).
 */
export interface PrivacySpec {
  readonly min_cell_count: number;
  readonly override_reason?: string;
}

/** k of a study's privacy rule: its `privacy.min_cell_count`, else `DEFAULT_MIN_CELL_COUNT` (5). */
export function minCellCountOf(spec: Pick<StudySpec, 'privacy'>): number {
  return spec.privacy?.min_cell_count ?? DEFAULT_MIN_CELL_COUNT;
}

/**
 * Secure aggregation (issue 16; README "Secure aggregation"): the coordinator learns only the sum of
 * the sites' weighted updates. Per-site screening needs individual updates, so a study with it
 * screens nothing: each site clips its own update to `clip_norm` and keeps to its share of the
 * grid's range before masking, and the coordinator checks the unmasked mean against `clip_norm`.
 */
export interface SecureAggregationSpec {
  /** Shamir threshold t: survivors the unmasking needs; more than half the listed sites, at most `min_sites`. */
  readonly threshold: number;
  /** The L2 norm each site clips its whole update δ to before masking. */
  readonly clip_norm: number;
  /**
   * The ring the masked updates live in: 64 (the default, and every study stored before this field:
   * the default grid, 8 bytes per weight) or 32 (the clipped grid of `clip_norm` and the session's
   * approved weights, 4 bytes per weight — the plain upload's size — on a coarser grid; README
   * "Secure aggregation" gives the measured error).
   */
  readonly ring_bits?: 32 | 64;
  /**
   * The PRG the masks are expanded with (@fedaln/secagg mask-stream.ts): `aes-256-ctr` (the default,
   * and every study stored before this field) or `aes-128-ctr` (cheaper for the coordinator's
   * unmasking; README "Secure aggregation"). Sites of a version before the field mask with AES-256
   * whatever the task says, so a study takes `aes-128-ctr` only when its sites run this version.
   */
  readonly prg?: 'aes-256-ctr' | 'aes-128-ctr';
}

/**
 * How the federation trains and combines (issue 15; README "Strategies"): `fedavg` (the default),
 * `fedprox` (sites add μ/2·‖w − w_global‖² to their loss), `fedbn` (BatchNorm weights stay at each
 * site; the coordinator keeps the global's) or `fedadam` (the coordinator applies Adam to the round's
 * mean update, @fedaln/aggregation fedadam.ts).
 */
export const STRATEGIES = ['fedavg', 'fedprox', 'fedbn', 'fedadam'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** The study file's `strategy`; each parameter belongs to one strategy (validateStudySpec checks). */
export interface StrategySpec {
  readonly name: StrategyName;
  /** fedprox: the proximal weight μ ≥ 0; default {@link DEFAULT_FEDPROX_MU}. */
  readonly mu?: number;
  /** fedadam: the server learning rate η; default FEDADAM_DEFAULTS.learningRate. */
  readonly server_learning_rate?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly tau?: number;
}

/** μ = 0.01: the middle of the grid {0.001, 0.01, 0.1, 1} Li et al. (MLSys 2020, §5.2) tune over. */
export const DEFAULT_FEDPROX_MU = 0.01;

/** A study's strategy, defaults filled; a spec without `strategy` (every study before issue 15) is fedavg. */
export type ResolvedStrategy =
  | { readonly name: 'fedavg' }
  | { readonly name: 'fedbn' }
  | { readonly name: 'fedprox'; readonly mu: number }
  | { readonly name: 'fedadam'; readonly adam: FedAdamOptions };

/** @example strategyOf({}) // { name: 'fedavg' } */
export function strategyOf(spec: Pick<StudySpec, 'strategy'>): ResolvedStrategy {
  const s = spec.strategy;
  switch (s?.name ?? 'fedavg') {
    case 'fedprox':
      return { name: 'fedprox', mu: s?.mu ?? DEFAULT_FEDPROX_MU };
    case 'fedadam':
      return {
        name: 'fedadam',
        adam: {
          learningRate: s?.server_learning_rate ?? FEDADAM_DEFAULTS.learningRate,
          beta1: s?.beta1 ?? FEDADAM_DEFAULTS.beta1,
          beta2: s?.beta2 ?? FEDADAM_DEFAULTS.beta2,
          tau: s?.tau ?? FEDADAM_DEFAULTS.tau,
        },
      };
    case 'fedbn':
      return { name: 'fedbn' };
    default:
      return { name: 'fedavg' };
  }
}

/**
 * The `strategy` field of a task (both kinds): what a site must do for the study's strategy. FedAvg and
 * the server-only FedAdam give none, so their tasks are the tasks of studies before issue 15.
 * @example siteStrategyOf({ strategy: { name: 'fedprox' } }) // { strategy: { name: 'fedprox', mu: 0.01 } }
 */
export function siteStrategyOf(spec: Pick<StudySpec, 'strategy'>): { strategy?: SiteStrategy } {
  const s = strategyOf(spec);
  if (s.name === 'fedprox') return { strategy: { name: 'fedprox', mu: s.mu } };
  if (s.name === 'fedbn') return { strategy: { name: 'fedbn' } };
  return {};
}

/**
 * The share of each site's train cases held out for validation in a study whose file names none
 * (issue 15, model selection): the same 8:2 ratio as the test split. Specs stored before issue 15
 * have no `validation_fraction` and keep 0 ({@link validationFractionOf}).
 */
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/**
 * The study's validation share: its `validation_fraction`, else 0 (a spec stored before issue 15,
 * whose sites trained on every train case and reported no validation metrics).
 * @example validationFractionOf({}) // 0
 */
export function validationFractionOf(spec: Pick<StudySpec, 'validation_fraction'>): number {
  return spec.validation_fraction ?? 0;
}

export interface StudySpec {
  readonly name: string;
  readonly arch: string;
  readonly input_size: number;
  /** `"random"` or the path of a tfjs layers-format `model.json`. */
  readonly init_weights: string;
  readonly rounds: number;
  readonly local_epochs: number;
  readonly batch_size: number;
  readonly learning_rate: number;
  readonly min_sites: number;
  readonly round_deadline_s: number;
  /** Seed of random initial weights; 0 when the study file gives none. */
  readonly seed?: number;
  /** `clinical` (default) or `phantom` (synthetic demo data), shown on the model card. */
  readonly data_source?: 'clinical' | 'phantom';
  readonly sites: readonly string[];
  readonly release_policy: ReleasePolicySpec;
  /** Defences against a broken or hostile site; {@link robustnessOf} fills the defaults. */
  readonly robustness?: Partial<RobustnessSpec>;
  /** The privacy rule's k for evaluation reports; {@link minCellCountOf} fills the default. */
  readonly privacy?: PrivacySpec;
  /**
   * Patient-level DP-SGD settings and the study's (max_epsilon, delta) budget (issue 16). Sites train
   * with DP-SGD at these settings ({@link dpTrainingOf}). `accounting_only: true` (studies made before
   * sites added the noise): the sites train without it; the coordinator only tracks the ε it would spend.
   */
  readonly dp?: DpSettings & { readonly accounting_only?: boolean };
  /** Masked updates with dropout recovery; absent: updates travel in the clear and are screened. */
  readonly secure_aggregation?: SecureAggregationSpec;
  /** Training/combining strategy; absent: FedAvg ({@link strategyOf}). */
  readonly strategy?: StrategySpec;
  /**
   * Share of each site's train cases held out (seeded, stratified) to select the release candidate and
   * fit the recalibration and combined model; new studies get {@link DEFAULT_VALIDATION_FRACTION}, a
   * stored spec without it 0 ({@link validationFractionOf}).
   */
  readonly validation_fraction?: number;
  /**
   * A plain study's aggregation grid: one scale M (a power of two, grid q = M·2⁻²⁶) for every tensor
   * instead of each tensor's from the global (StreamingFedAvg `scale`). Set it to
   * clippedGridScale(clip_norm, W) and the study folds on the grid a `ring_bits` 32 secure study of
   * the same sites sums on, so the two give the same globals bit for bit. Absent: the default grid.
   */
  readonly grid_scale?: number;
}

export interface FieldError {
  /** Dotted path of the offending field in the study JSON, e.g. `release_policy.dca_range`. */
  readonly field: string;
  readonly message: string;
}
