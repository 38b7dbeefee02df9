// class-transformer's @Type reads design-time metadata; load the polyfill wherever DTOs are used.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsIn,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';
import {
  AGGREGATORS,
  DEFAULT_ROBUSTNESS,
  type AggregatorKind,
  type PrivacySpec,
  type ReleasePolicySpec,
  type RobustnessSpec,
  type SecureAggregationSpec,
  type StudySpec,
  STRATEGIES,
  type StrategyName,
  type StrategySpec,
} from '../domain/study-spec';
import { MIN_CELL_COUNT_FLOOR } from '@fedaln/metrics';
import type { DpSettings } from '@fedaln/privacy';

/** `[lo, hi]` with 0 < lo < hi < 1: a decision-curve threshold range (probabilities). */
function IsThresholdRange(): PropertyDecorator {
  return ValidateBy({
    name: 'isThresholdRange',
    validator: {
      validate: (v: unknown) =>
        Array.isArray(v) &&
        v.length === 2 &&
        v.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
        0 < v[0] &&
        v[0] < v[1] &&
        v[1] < 1,
      defaultMessage: (a?: ValidationArguments) =>
        `${a?.property} must be [lo, hi] with 0 < lo < hi < 1 (got ${JSON.stringify(a?.value)})`,
    },
  });
}

/** `"all"` or a positive integer number of sites. */
function IsAllOrCount(): PropertyDecorator {
  return ValidateBy({
    name: 'isAllOrCount',
    validator: {
      validate: (v: unknown) => v === 'all' || (Number.isInteger(v) && (v as number) >= 1),
      defaultMessage: (a?: ValidationArguments) =>
        `${a?.property} must be "all" or an integer >= 1 (got ${JSON.stringify(a?.value)})`,
    },
  });
}

/** A quorum cannot exceed the sites enrolled in the study. */
function AtMostListedSites(): PropertyDecorator {
  return ValidateBy({
    name: 'atMostListedSites',
    validator: {
      validate: (v: unknown, a?: ValidationArguments) => {
        const sites = (a?.object as { sites?: unknown }).sites;
        return !Array.isArray(sites) || typeof v !== 'number' || v <= sites.length;
      },
      defaultMessage: (a?: ValidationArguments) =>
        `${a?.property} must not exceed the number of sites listed in "sites" (got ${JSON.stringify(a?.value)})`,
    },
  });
}

export class ReleasePolicyDto implements ReleasePolicySpec {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_site_auc!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_pooled_auc!: number;

  @IsThresholdRange()
  dca_range!: [number, number];

  @IsAllOrCount()
  min_sites_passing!: 'all' | number;
}

/** A down-weighting cosine at or above the rejecting one (the study's or its default). */
function AtLeastRejectCosine(): PropertyDecorator {
  return ValidateBy({
    name: 'atLeastRejectCosine',
    validator: {
      validate: (v: unknown, a?: ValidationArguments) => {
        const reject = (a?.object as { reject_cosine?: unknown }).reject_cosine;
        const floor = typeof reject === 'number' ? reject : DEFAULT_ROBUSTNESS.reject_cosine;
        return typeof v !== 'number' || v >= floor;
      },
      defaultMessage: (a?: ValidationArguments) =>
        `${a?.property} must be at least reject_cosine (got ${JSON.stringify(a?.value)})`,
    },
  });
}

/** k of the evaluation privacy rule; below the floor (5) only with a written reason. */
export class PrivacyDto implements PrivacySpec {
  @IsInt({
    message:
      'min_cell_count must be an integer (k: the fewest cases of a class one released count may cover)',
  })
  @Min(1)
  @Max(1_000_000)
  min_cell_count!: number;

  @ValidateIf((o: PrivacyDto) => o.override_reason !== undefined || o.min_cell_count < MIN_CELL_COUNT_FLOOR)
  @IsString({
    message: `override_reason must be given to set min_cell_count below ${MIN_CELL_COUNT_FLOOR}: say why per-site counts under ${MIN_CELL_COUNT_FLOOR} cases may be released (e.g. "phantom data, no patients")`,
  })
  @MinLength(1, {
    message: `override_reason must be given to set min_cell_count below ${MIN_CELL_COUNT_FLOOR}: say why per-site counts under ${MIN_CELL_COUNT_FLOOR} cases may be released (e.g. "phantom data, no patients")`,
  })
  @MaxLength(2000)
  override_reason?: string;
}

/** A finite number with 0 < x ≤ max; every failure says `message` (the field, range and an example). */
function IsPositiveAtMost(max: number, message: string): PropertyDecorator {
  return (target, key) => {
    IsNumber({ allowNaN: false, allowInfinity: false }, { message })(target, key);
    IsPositive({ message })(target, key);
    Max(max, { message })(target, key);
  };
}

/**
 * Patient-level DP-SGD settings and the budget (issue 16): every field but `accounting_only` is
 * required, so a study that asks for DP states all of it. Plan them with `fedaln-privacy epsilon|sigma`.
 * The sites train with DP-SGD at these settings; `accounting_only: true` keeps the older behaviour
 * (no noise at the sites, the coordinator only tracks the ε the stated noise would spend).
 */
export class DpDto implements DpSettings {
  @IsOptional()
  @IsBoolean({
    message:
      'accounting_only must be true or false (true: sites train without noise and the coordinator only tracks ε; false or absent: sites train with DP-SGD)',
  })
  accounting_only?: boolean;

  @IsPositiveAtMost(
    1e4,
    'noise_multiplier must be a number above 0 and at most 10000 (σ: noise std / clip_norm), e.g. 1.1',
  )
  noise_multiplier!: number;

  @IsPositiveAtMost(
    1e6,
    "clip_norm must be a number above 0 and at most 1000000 (L2 bound of one patient's gradient), e.g. 1",
  )
  clip_norm!: number;

  @IsPositiveAtMost(
    1,
    'sampling_rate must be a number above 0 and at most 1 (batch size / records), e.g. 0.01',
  )
  sampling_rate!: number;

  @IsPositiveAtMost(
    1000,
    "max_epsilon must be a number above 0 and at most 1000 (the study's ε budget), e.g. 8",
  )
  max_epsilon!: number;

  @IsPositiveAtMost(0.01, 'delta must be a number above 0 and at most 0.01, below 1 / patients (e.g. 1e-5)')
  delta!: number;
}

/**
 * Secure aggregation (issue 16): both fields required. The threshold's relation to the listed sites,
 * `min_sites` and the robustness settings is checked in `validateStudySpec` (cross-field).
 */
export class SecureAggregationDto implements SecureAggregationSpec {
  @IsInt({
    message: 'threshold must be an integer (t: the survivors the unmasking needs), e.g. 4 of 5 sites',
  })
  @Min(2, { message: 'threshold must be at least 2' })
  threshold!: number;

  @IsPositiveAtMost(
    1e6,
    "clip_norm must be a number above 0 and at most 1000000 (the L2 bound of one site's update δ), e.g. 1",
  )
  clip_norm!: number;

  @IsOptional()
  @IsIn([32, 64], {
    message:
      'ring_bits must be 32 (4 bytes per weight on a grid derived from clip_norm) or 64 (the default: 8 bytes per weight, the finer grid)',
  })
  ring_bits?: 32 | 64;

  @IsOptional()
  @IsIn(['aes-256-ctr', 'aes-128-ctr'], {
    message:
      'prg must be aes-256-ctr (the default) or aes-128-ctr (cheaper unmasking; every site must run a client that knows it)',
  })
  prg?: 'aes-256-ctr' | 'aes-128-ctr';
}

/** In [0, 1): a moment decay rate. */
function IsDecayRate(message: string): PropertyDecorator {
  return (target, key) => {
    IsNumber({ allowNaN: false, allowInfinity: false }, { message })(target, key);
    Min(0, { message })(target, key);
    Max(0.999999, { message })(target, key);
  };
}

/**
 * The strategy (issue 15): `name` required, its parameters optional (`strategyOf` fills defaults).
 * Which parameter belongs to which strategy is checked in `validateStudySpec` (cross-field).
 */
export class StrategyDto implements StrategySpec {
  @IsIn(STRATEGIES, { message: `name must be one of ${STRATEGIES.join(', ')} (got a value outside them)` })
  name!: StrategyName;

  @IsOptional()
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'mu must be a number in [0, 1000] (FedProx μ), e.g. 0.01' },
  )
  @Min(0, { message: 'mu must be a number in [0, 1000] (FedProx μ), e.g. 0.01' })
  @Max(1000, { message: 'mu must be a number in [0, 1000] (FedProx μ), e.g. 0.01' })
  mu?: number;

  @IsOptional()
  @IsPositiveAtMost(10, 'server_learning_rate must be a number above 0 and at most 10 (FedAdam η), e.g. 0.01')
  server_learning_rate?: number;

  @IsOptional()
  @IsDecayRate('beta1 must be a number in [0, 1) (FedAdam β1), e.g. 0.9')
  beta1?: number;

  @IsOptional()
  @IsDecayRate('beta2 must be a number in [0, 1) (FedAdam β2), e.g. 0.99')
  beta2?: number;

  @IsOptional()
  @IsPositiveAtMost(1, 'tau must be a number above 0 and at most 1 (FedAdam τ), e.g. 0.001')
  tau?: number;
}

/** Every field optional: `robustnessOf` fills what a study leaves out with `DEFAULT_ROBUSTNESS`. */
export class RobustnessDto implements Partial<RobustnessSpec> {
  @IsOptional()
  @IsIn(AGGREGATORS, { message: `aggregator must be one of ${AGGREGATORS.join(', ')}` })
  aggregator?: AggregatorKind;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(0.49)
  trim_beta?: number;

  @IsOptional()
  @IsBoolean()
  screening?: boolean;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  clip_factor?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1)
  @Max(1)
  reject_cosine?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1)
  @Max(1)
  @AtLeastRejectCosine()
  down_weight_cosine?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2 ** 24)
  max_site_cases?: number;
}

/** The study JSON, validated by `ValidationPipe` on REST and by `validateStudySpec` in the CLI. */
export class StudySpecDto implements StudySpec {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @IsString()
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'arch must be a model preset name such as "densenet201"' })
  arch!: string;

  @IsInt()
  @Min(32)
  @Max(1024)
  input_size!: number;

  @IsString()
  @Matches(/^(random|.*model\.json|.*\.h5)$/i, {
    message:
      'init_weights must be "random", the path of a tfjs layers model.json, or of a Keras weights file (.h5, .weights.h5)',
  })
  init_weights!: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  rounds!: number;

  @IsInt()
  @Min(1)
  @Max(1000)
  local_epochs!: number;

  @IsInt()
  @Min(1)
  @Max(4096)
  batch_size!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1e-8)
  @Max(10)
  learning_rate!: number;

  @IsInt()
  @Min(1)
  @AtMostListedSites()
  min_sites!: number;

  @IsInt()
  @Min(10)
  @Max(7 * 24 * 3600)
  round_deadline_s!: number;

  /** Seed of the random initial weights (`init_weights: "random"`); default 0, so a study is reproducible. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number;

  /** Where the images come from; the model card labels synthetic (phantom) studies as such. */
  @IsOptional()
  @IsIn(['clinical', 'phantom'], { message: 'data_source must be "clinical" or "phantom"' })
  data_source?: 'clinical' | 'phantom';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each value in sites must be a site id (UUID)' })
  sites!: string[];

  @IsObject()
  @ValidateNested()
  @Type(() => ReleasePolicyDto)
  release_policy!: ReleasePolicyDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RobustnessDto)
  robustness?: RobustnessDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PrivacyDto)
  privacy?: PrivacyDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DpDto)
  dp?: DpDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SecureAggregationDto)
  secure_aggregation?: SecureAggregationDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => StrategyDto)
  strategy?: StrategyDto;

  /** Share of each site's train cases held out for validation; default DEFAULT_VALIDATION_FRACTION (0.2). */
  @IsOptional()
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'validation_fraction must be a number in [0, 0.5] (0: no validation split)' },
  )
  @Min(0, { message: 'validation_fraction must be a number in [0, 0.5] (0: no validation split)' })
  @Max(0.5, { message: 'validation_fraction must be a number in [0, 0.5] (0: no validation split)' })
  validation_fraction?: number;

  /** A plain study's one grid scale (a power of two); validateStudySpec checks the power and secure_aggregation. */
  @IsOptional()
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    {
      message:
        'grid_scale must be a power of two in [2^-30, 2^40], e.g. 8192 (clippedGridScale of clip_norm and W)',
    },
  )
  grid_scale?: number;
}
