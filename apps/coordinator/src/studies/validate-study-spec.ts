import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  DEFAULT_VALIDATION_FRACTION,
  type FieldError,
  type RobustnessSpec,
  type StrategySpec,
  type StudySpec,
} from '../domain/study-spec';
import { noiseForEpsilon } from '@fedaln/privacy';
import { dpStepsPerRound, studyPrivacyBudget } from '../domain/study-privacy-budget';
import { type RobustnessDto, type StrategyDto, StudySpecDto } from './study-spec.dto';

export type StudySpecResult =
  | { readonly ok: true; readonly spec: StudySpec }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** Options shared with the HTTP `ValidationPipe`, so the CLI and REST accept the same documents. */
export const STUDY_VALIDATION = { whitelist: true, forbidNonWhitelisted: true } as const;

/**
 * Validates a parsed study JSON against `StudySpecDto` (the same rules as `POST /api/studies`) and
 * names every bad field by its dotted path. Pure: no I/O.
 *
 * @example
 * const r = validateStudySpec(JSON.parse(text));
 * if (!r.ok) console.error(r.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
 */
export function validateStudySpec(input: unknown): StudySpecResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(root)', message: 'a study must be a JSON object' }] };
  }
  const dto = plainToInstance(StudySpecDto, input);
  const errors = flatten(validateSync(dto, STUDY_VALIDATION), '');
  if (errors.length > 0) return { ok: false, errors };
  const spec = studySpecFromDto(dto);
  const overBudget = firstRoundOverBudget(spec);
  if (overBudget) return { ok: false, errors: [overBudget] };
  const problems = [
    ...secureAggregationProblems(spec),
    ...strategyProblems(spec),
    ...gridScaleProblems(spec),
  ];
  return problems.length > 0 ? { ok: false, errors: problems } : { ok: true, spec };
}

/** Which strategy each parameter belongs to (README "Strategies"). */
const STRATEGY_PARAMETERS = {
  mu: 'fedprox',
  server_learning_rate: 'fedadam',
  beta1: 'fedadam',
  beta2: 'fedadam',
  tau: 'fedadam',
} as const;

/** A strategy parameter given to another strategy (it would be silently unused), and fedprox with DP-SGD. */
export function strategyProblems(spec: StudySpec): FieldError[] {
  const s = spec.strategy;
  if (!s) return [];
  const errors: FieldError[] = Object.entries(STRATEGY_PARAMETERS)
    .filter(([key, owner]) => s[key as keyof typeof STRATEGY_PARAMETERS] !== undefined && owner !== s.name)
    .map(([key, owner]) => ({
      field: `strategy.${key}`,
      message: `${key} is a ${owner} parameter, but strategy.name is ${s.name}: remove strategy.${key}, or set strategy.name to ${owner}`,
    }));
  if (s.name === 'fedprox' && spec.dp) {
    errors.push({
      field: 'strategy.name',
      message:
        'fedprox cannot run with dp: DP-SGD training has no proximal term, so μ would be silently ignored; use fedavg with dp, or leave dp out',
    });
  }
  if ((s.name === 'fedbn' || s.name === 'fedadam') && spec.secure_aggregation) {
    errors.push({
      field: 'strategy.name',
      message: `${s.name} is not wired to secure_aggregation yet (the masked sum bypasses its server step): use fedavg or fedprox with secure_aggregation, or leave secure_aggregation out`,
    });
  }
  return errors;
}

/**
 * Secure aggregation against the rest of the spec: t > half the listed sites (two disjoint groups
 * can never both unmask; `checkParams` of @fedaln/secagg), t ≤ min_sites (a round that reaches its
 * quorum can be unmasked), and no defence that needs individual updates (README "Secure aggregation").
 */
export function secureAggregationProblems(spec: StudySpec): FieldError[] {
  const sa = spec.secure_aggregation;
  if (!sa) return [];
  const errors: FieldError[] = [];
  const n = spec.sites.length;
  if (sa.threshold <= n / 2 || sa.threshold > spec.min_sites) {
    errors.push({
      field: 'secure_aggregation.threshold',
      message: `threshold ${sa.threshold} must be more than half the ${n} listed sites and at most min_sites ${spec.min_sites} (an integer in ${Math.floor(n / 2) + 1}..${spec.min_sites}): set secure_aggregation.threshold in that range, or raise min_sites`,
    });
  }
  const aggregator = spec.robustness?.aggregator;
  if (aggregator !== undefined && aggregator !== 'fedavg') {
    errors.push({
      field: 'robustness.aggregator',
      message: `aggregator ${aggregator} needs every site's update in the clear, which secure_aggregation hides: use fedavg (sites clip to secure_aggregation.clip_norm instead), or leave secure_aggregation out`,
    });
  }
  if (spec.robustness?.screening === true) {
    errors.push({
      field: 'robustness.screening',
      message:
        "screening true needs every site's update in the clear, which secure_aggregation hides: set it false or leave it out (sites clip to secure_aggregation.clip_norm instead), or leave secure_aggregation out",
    });
  }
  return errors;
}

/**
 * `grid_scale`: a power of two in [2⁻³⁰, 2⁴⁰] (StreamingFedAvg takes any power of two; outside this
 * the grid is finer than a float32 delta or coarser than any weight), and only for a plain study (a
 * secure one takes its grid from `secure_aggregation`).
 */
function gridScaleProblems(spec: StudySpec): FieldError[] {
  const m = spec.grid_scale;
  if (m === undefined) return [];
  if (!(m >= 2 ** -30 && m <= 2 ** 40 && 2 ** Math.round(Math.log2(m)) === m)) {
    return [
      {
        field: 'grid_scale',
        message: `grid_scale ${m} must be a power of two in [2^-30, 2^40], e.g. 8192 (clippedGridScale of clip_norm and W)`,
      },
    ];
  }
  if (spec.secure_aggregation) {
    return [
      {
        field: 'grid_scale',
        message:
          'grid_scale is for plain studies: a secure study takes its grid from secure_aggregation (ring_bits 32: clip_norm and the approved weights); leave grid_scale out',
      },
    ];
  }
  return [];
}

/** A `dp` study whose first round already spends more than `max_epsilon` could never train. */
function firstRoundOverBudget(spec: StudySpec): FieldError | null {
  const budget = studyPrivacyBudget(spec, 0);
  if (!spec.dp || !budget || budget.nextRoundAllowed) return null;
  const { dp } = spec;
  const steps = dpStepsPerRound({ local_epochs: spec.local_epochs, dp });
  const spent = budget.sites[0]!.afterNextRound.epsilon;
  const sigma = noiseForEpsilon(dp.max_epsilon, { samplingRate: dp.sampling_rate, steps }, dp.delta);
  const fix = sigma
    ? `raise dp.noise_multiplier to at least ${Math.ceil(sigma.noiseMultiplier * 1000) / 1000}, or dp.max_epsilon`
    : 'raise dp.max_epsilon or lower local_epochs';
  return {
    field: 'dp.max_epsilon',
    message: `max_epsilon ${dp.max_epsilon} is spent by the first round: ${steps} steps (local_epochs ${spec.local_epochs} / sampling_rate ${dp.sampling_rate}) at noise_multiplier ${dp.noise_multiplier} spend ε ${spent.toFixed(3)} at delta ${dp.delta}; ${fix}`,
  };
}

function flatten(errors: readonly ValidationError[], prefix: string): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** A plain object copy, so no class instance (or decorator metadata) travels further. */
export function studySpecFromDto(dto: StudySpecDto): StudySpec {
  const p = dto.release_policy;
  return {
    name: dto.name,
    arch: dto.arch,
    input_size: dto.input_size,
    init_weights: dto.init_weights,
    rounds: dto.rounds,
    local_epochs: dto.local_epochs,
    batch_size: dto.batch_size,
    learning_rate: dto.learning_rate,
    min_sites: dto.min_sites,
    round_deadline_s: dto.round_deadline_s,
    seed: dto.seed ?? 0,
    data_source: dto.data_source ?? 'clinical',
    sites: [...dto.sites],
    release_policy: {
      min_site_auc: p.min_site_auc,
      min_pooled_auc: p.min_pooled_auc,
      dca_range: [p.dca_range[0], p.dca_range[1]],
      min_sites_passing: p.min_sites_passing,
    },
    ...(dto.robustness === undefined ? {} : { robustness: robustnessFromDto(dto.robustness) }),
    ...(dto.privacy === undefined
      ? {}
      : {
          privacy: {
            min_cell_count: dto.privacy.min_cell_count,
            ...(dto.privacy.override_reason === undefined
              ? {}
              : { override_reason: dto.privacy.override_reason }),
          },
        }),
    ...(dto.dp === undefined
      ? {}
      : {
          dp: {
            accounting_only: dto.dp.accounting_only === true,
            noise_multiplier: dto.dp.noise_multiplier,
            clip_norm: dto.dp.clip_norm,
            sampling_rate: dto.dp.sampling_rate,
            max_epsilon: dto.dp.max_epsilon,
            delta: dto.dp.delta,
          },
        }),
    ...(dto.secure_aggregation === undefined
      ? {}
      : {
          secure_aggregation: {
            threshold: dto.secure_aggregation.threshold,
            clip_norm: dto.secure_aggregation.clip_norm,
            ...(dto.secure_aggregation.ring_bits === undefined
              ? {}
              : { ring_bits: dto.secure_aggregation.ring_bits }),
            ...(dto.secure_aggregation.prg === undefined ? {} : { prg: dto.secure_aggregation.prg }),
          },
        }),
    ...(dto.strategy === undefined ? {} : { strategy: strategyFromDto(dto.strategy) }),
    validation_fraction: dto.validation_fraction ?? DEFAULT_VALIDATION_FRACTION,
    ...(dto.grid_scale === undefined ? {} : { grid_scale: dto.grid_scale }),
  };
}

/** The fields the study gives, as a plain object (the defaults stay out: `strategyOf` adds them). */
function strategyFromDto(dto: StrategyDto): StrategySpec {
  const keys = ['name', 'mu', 'server_learning_rate', 'beta1', 'beta2', 'tau'] as const;
  return Object.fromEntries(
    keys.filter((k) => dto[k] !== undefined).map((k) => [k, dto[k]]),
  ) as unknown as StrategySpec;
}

/** The fields the study gives, as a plain object (the defaults stay out: `robustnessOf` adds them). */
function robustnessFromDto(dto: RobustnessDto): Partial<RobustnessSpec> {
  const keys = [
    'aggregator',
    'trim_beta',
    'screening',
    'clip_factor',
    'reject_cosine',
    'down_weight_cosine',
    'max_site_cases',
  ] as const;
  return Object.fromEntries(keys.filter((k) => dto[k] !== undefined).map((k) => [k, dto[k]]));
}
