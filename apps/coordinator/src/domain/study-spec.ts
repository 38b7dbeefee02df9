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
}

export interface FieldError {
  /** Dotted path of the offending field in the study JSON, e.g. `release_policy.dca_range`. */
  readonly field: string;
  readonly message: string;
}
