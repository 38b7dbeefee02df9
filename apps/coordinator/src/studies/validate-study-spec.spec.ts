import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ROBUSTNESS, minCellCountOf, robustnessOf, validationFractionOf } from '../domain/study-spec';
import { validateStudySpec } from './validate-study-spec';

const SITE_A = '0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a';
const SITE_B = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

// The study of DESIGN.md's clinical background: DenseNet201 at 224 px, net-benefit range
// 0.1706–0.6052 from the source study's decision-curve analysis.
const valid = Object.freeze({
  name: 'ALN DenseNet201',
  arch: 'densenet201',
  input_size: 224,
  init_weights: 'random',
  rounds: 10,
  local_epochs: 1,
  batch_size: 16,
  learning_rate: 0.001,
  min_sites: 2,
  round_deadline_s: 3600,
  sites: [SITE_A, SITE_B],
  release_policy: {
    min_site_auc: 0.7,
    min_pooled_auc: 0.75,
    dca_range: [0.1706, 0.6052],
    min_sites_passing: 'all',
  },
});

function fieldsOf(input: unknown): string[] {
  const r = validateStudySpec(input);
  return r.ok ? [] : r.errors.map((e) => e.field);
}

describe('validateStudySpec', () => {
  it('accepts the reference study and returns a plain copy', () => {
    const r = validateStudySpec(valid);
    expect(r).toEqual({
      ok: true,
      spec: { ...valid, seed: 0, data_source: 'clinical', validation_fraction: 0.2 },
    });
    expect(r.ok && Object.getPrototypeOf(r.spec)).toBe(Object.prototype);
  });

  it.each(['models/densenet201_weights_tf_dim_ordering_tf_kernels.h5', 'densenet201.weights.h5'])(
    'accepts a Keras weights file as init_weights: %s',
    (file) => {
      expect(validateStudySpec({ ...valid, init_weights: file }).ok).toBe(true);
    },
  );

  it('accepts a model.json path and a numeric min_sites_passing', () => {
    const r = validateStudySpec({
      ...valid,
      init_weights: 'weights/densenet201-imagenet/model.json',
      release_policy: { ...valid.release_policy, min_sites_passing: 2 },
    });
    expect(r.ok).toBe(true);
  });

  it.each([
    ['rounds', { rounds: 0 }],
    ['rounds', { rounds: 1.5 }],
    ['input_size', { input_size: '224' }],
    ['learning_rate', { learning_rate: -1 }],
    ['init_weights', { init_weights: 'imagenet' }],
    ['init_weights', { init_weights: 'densenet201.keras' }], // a Keras 3 zip: unzip its model.weights.h5
    ['sites', { sites: [] }],
    ['sites', { sites: [SITE_A, SITE_A] }],
    ['sites', { sites: ['hospital-a'] }],
    ['min_sites', { min_sites: 3 }], // more than the two listed sites
    ['round_deadline_s', { round_deadline_s: 1 }],
    ['name', { name: '' }],
    ['release_policy', { release_policy: undefined }],
    ['release_policy.dca_range', { release_policy: { ...valid.release_policy, dca_range: [0.6, 0.2] } }],
    ['release_policy.dca_range', { release_policy: { ...valid.release_policy, dca_range: [0.1] } }],
    ['release_policy.min_site_auc', { release_policy: { ...valid.release_policy, min_site_auc: 1.2 } }],
    [
      'release_policy.min_sites_passing',
      { release_policy: { ...valid.release_policy, min_sites_passing: 'most' } },
    ],
    ['extra', { extra: true }],
  ])('names %s when it is bad', (field, patch) => {
    expect(fieldsOf({ ...valid, ...patch })).toContain(field);
  });

  it('reports every missing field, not just the first', () => {
    const fields = new Set(fieldsOf({}));
    for (const f of Object.keys(valid)) expect(fields).toContain(f);
  });

  it('rejects a non-object document', () => {
    expect(fieldsOf([valid])).toEqual(['(root)']);
  });

  it('says what was expected', () => {
    const r = validateStudySpec({
      ...valid,
      release_policy: { ...valid.release_policy, dca_range: [0.6, 0.2] },
    });
    expect(r.ok ? '' : r.errors[0]?.message).toBe(
      'dca_range must be [lo, hi] with 0 < lo < hi < 1 (got [0.6,0.2])',
    );
  });

  it('privacy: k defaults to 5; k ≥ 5 is taken as it is; below 5 only with a written override reason', () => {
    const none = validateStudySpec(valid);
    expect(none.ok && minCellCountOf(none.spec)).toBe(5);
    const ten = validateStudySpec({ ...valid, privacy: { min_cell_count: 10 } });
    expect(ten.ok && ten.spec.privacy).toEqual({ min_cell_count: 10 });
    const low = validateStudySpec({ ...valid, privacy: { min_cell_count: 3 } });
    expect(low).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        {
          field: 'privacy.override_reason',
          message:
            'override_reason must be given to set min_cell_count below 5: say why per-site counts under 5 cases may be released (e.g. "phantom data, no patients")',
        },
      ]),
    });
    const explained = validateStudySpec({
      ...valid,
      privacy: { min_cell_count: 1, override_reason: 'phantom data, no patients' },
    });
    expect(explained.ok && minCellCountOf(explained.spec)).toBe(1);
    expect(fieldsOf({ ...valid, privacy: { min_cell_count: 0, override_reason: 'x' } })).toEqual([
      'privacy.min_cell_count',
    ]);
    expect(fieldsOf({ ...valid, privacy: { min_cell_count: 5, k: 3 } })).toEqual(['privacy.k']);
  });

  it('takes the robustness options a study gives and leaves the rest to the defaults', () => {
    const r = validateStudySpec({ ...valid, robustness: { aggregator: 'trimmed_mean', trim_beta: 0.1 } });
    expect(r.ok && r.spec.robustness).toEqual({ aggregator: 'trimmed_mean', trim_beta: 0.1 });
    expect(r.ok && robustnessOf(r.spec)).toEqual({
      ...DEFAULT_ROBUSTNESS,
      aggregator: 'trimmed_mean',
      trim_beta: 0.1,
    });
    expect(robustnessOf({})).toEqual(DEFAULT_ROBUSTNESS);
  });

  it.each([
    [{ aggregator: 'krum' }, 'robustness.aggregator'],
    [{ trim_beta: 0.5 }, 'robustness.trim_beta'],
    [{ screening: 'yes' }, 'robustness.screening'],
    [{ clip_factor: -1 }, 'robustness.clip_factor'],
    [{ reject_cosine: 0.5, down_weight_cosine: 0.2 }, 'robustness.down_weight_cosine'],
    [{ down_weight_cosine: -0.5 }, 'robustness.down_weight_cosine'],
    [{ max_site_cases: 2 ** 24 + 1 }, 'robustness.max_site_cases'],
    [{ max_site_cases: 0 }, 'robustness.max_site_cases'],
    [{ unknown_option: 1 }, 'robustness.unknown_option'],
  ])('refuses robustness %j, naming %s', (robustness, field) => {
    expect(fieldsOf({ ...valid, robustness })).toEqual([field]);
  });

  // σ 1.1, q 0.01, δ 1e-5: the planning example of README "Differential privacy: planning a budget".
  const dp = Object.freeze({
    accounting_only: true,
    noise_multiplier: 1.1,
    clip_norm: 1,
    sampling_rate: 0.01,
    max_epsilon: 8,
    delta: 1e-5,
  });

  it('dp: accounting_only is optional (absent or false: sites train with DP-SGD); not a boolean is refused', () => {
    const { accounting_only: _, ...training } = dp;
    const r = validateStudySpec({ ...valid, dp: training });
    expect(r.ok && r.spec.dp).toEqual({ ...training, accounting_only: false });
    const off = validateStudySpec({ ...valid, dp: { ...dp, accounting_only: false } });
    expect(off.ok && off.spec.dp?.accounting_only).toBe(false);
    expect(fieldsOf({ ...valid, dp: { ...dp, accounting_only: 'yes' } })).toEqual(['dp.accounting_only']);
  });

  it('dp: takes the five DP-SGD and budget settings as given; a study without dp has none', () => {
    const r = validateStudySpec({ ...valid, dp });
    expect(r.ok && r.spec.dp).toEqual(dp);
    const none = validateStudySpec(valid);
    expect(none.ok && 'dp' in none.spec).toBe(false);
  });

  it.each([
    [
      { noise_multiplier: 0 },
      'dp.noise_multiplier',
      'noise_multiplier must be a number above 0 and at most 10000 (σ: noise std / clip_norm), e.g. 1.1',
    ],
    [
      { clip_norm: -1 },
      'dp.clip_norm',
      "clip_norm must be a number above 0 and at most 1000000 (L2 bound of one patient's gradient), e.g. 1",
    ],
    [
      { sampling_rate: 1.5 },
      'dp.sampling_rate',
      'sampling_rate must be a number above 0 and at most 1 (batch size / records), e.g. 0.01',
    ],
    [
      { sampling_rate: '0.1' },
      'dp.sampling_rate',
      'sampling_rate must be a number above 0 and at most 1 (batch size / records), e.g. 0.01',
    ],
    [
      { max_epsilon: 0 },
      'dp.max_epsilon',
      "max_epsilon must be a number above 0 and at most 1000 (the study's ε budget), e.g. 8",
    ],
    [
      { delta: 0.5 },
      'dp.delta',
      'delta must be a number above 0 and at most 0.01, below 1 / patients (e.g. 1e-5)',
    ],
    [
      { delta: undefined },
      'dp.delta',
      'delta must be a number above 0 and at most 0.01, below 1 / patients (e.g. 1e-5)',
    ],
  ])('refuses dp %j, naming %s', (change, field, message) => {
    const r = validateStudySpec({ ...valid, dp: { ...dp, ...change } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ field, message });
    expect(fieldsOf({ ...valid, dp: { ...dp, ...change } }).every((f) => f === field)).toBe(true);
  });

  it('refuses an unknown dp field and a dp that is not an object', () => {
    expect(fieldsOf({ ...valid, dp: { ...dp, epsilon: 3 } })).toEqual(['dp.epsilon']);
    expect(fieldsOf({ ...valid, dp: 8 })).toContain('dp');
  });

  it('refuses a dp study whose first round alone spends more than max_epsilon, with the σ that would fit', () => {
    // local_epochs 1 at q 0.01: 100 steps; σ 0.5 spends ε 9.16 there (libs/privacy), above max_epsilon 8.
    const r = validateStudySpec({ ...valid, dp: { ...dp, noise_multiplier: 0.5 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.field).toBe('dp.max_epsilon');
    expect(r.errors[0]!.message).toMatch(
      /^max_epsilon 8 is spent by the first round: 100 steps \(local_epochs 1 \/ sampling_rate 0\.01\) at noise_multiplier 0\.5 spend ε \d+\.\d{3} at delta 0\.00001; raise dp\.noise_multiplier to at least 0\.\d+, or dp\.max_epsilon$/,
    );
  });

  it('holds out 0.2 of the train cases for validation in a new study, 0 in a spec stored before issue 15', () => {
    const r = validateStudySpec(valid);
    expect(r.ok && validationFractionOf(r.spec)).toBe(0.2);
    const none = validateStudySpec({ ...valid, validation_fraction: 0 });
    expect(none.ok && validationFractionOf(none.spec)).toBe(0);
    // A stored spec of before issue 15 has no field: its sites keep training on every train case.
    const stored = { ...valid, seed: 0, data_source: 'clinical' as const } as unknown as Parameters<
      typeof validationFractionOf
    >[0];
    expect(validationFractionOf(stored)).toBe(0);
  });

  it.each([[-0.1], [0.6], ['0.2']])('refuses validation_fraction %p naming the field and the range', (v) => {
    const r = validateStudySpec({ ...valid, validation_fraction: v });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toContainEqual({
      field: 'validation_fraction',
      message: 'validation_fraction must be a number in [0, 0.5] (0: no validation split)',
    });
  });
});
