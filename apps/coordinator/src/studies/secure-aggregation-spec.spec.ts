import { describe, expect, it } from '@jest/globals';
import { roundPlanOf } from '../aggregation/round-plan';
import { validateStudySpec } from './validate-study-spec';

const SITES = [
  '0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a',
  '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
  '3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f',
];

const study = Object.freeze({
  name: 'secure',
  arch: 'densenet-tiny',
  input_size: 32,
  init_weights: 'random',
  rounds: 1,
  local_epochs: 1,
  batch_size: 4,
  learning_rate: 0.001,
  min_sites: 4,
  round_deadline_s: 60,
  sites: SITES,
  release_policy: { min_site_auc: 0.5, min_pooled_auc: 0.5, dca_range: [0.2, 0.5], min_sites_passing: 'all' },
  secure_aggregation: { threshold: 4, clip_norm: 1 },
});

function errorsOf(input: object) {
  const r = validateStudySpec(input);
  return r.ok ? [] : r.errors;
}

describe('study option secure_aggregation', () => {
  it('is kept as given, and a study with it screens nothing (screening needs individual updates)', () => {
    const r = validateStudySpec(study);
    expect(r.ok && r.spec.secure_aggregation).toEqual({ threshold: 4, clip_norm: 1 });
    expect(r.ok && roundPlanOf(r.spec)).toMatchObject({ screening: null, aggregator: 'fedavg', shares: 5 });
  });

  it('keeps ring_bits 32 or 64 when given; without it (and in every study stored before it) the ring is 64', () => {
    for (const ring_bits of [32, 64]) {
      const r = validateStudySpec({
        ...study,
        secure_aggregation: { threshold: 4, clip_norm: 1, ring_bits },
      });
      expect(r.ok && r.spec.secure_aggregation).toEqual({ threshold: 4, clip_norm: 1, ring_bits });
    }
    const r = validateStudySpec(study);
    expect(r.ok && 'ring_bits' in (r.spec.secure_aggregation ?? {})).toBe(false);
  });

  it('keeps prg when given; without it (and in every study stored before it) none is kept: aes-256-ctr', () => {
    for (const prg of ['aes-256-ctr', 'aes-128-ctr']) {
      const r = validateStudySpec({ ...study, secure_aggregation: { threshold: 4, clip_norm: 1, prg } });
      expect(r.ok && r.spec.secure_aggregation).toEqual({ threshold: 4, clip_norm: 1, prg });
    }
    const r = validateStudySpec(study);
    expect(r.ok && 'prg' in (r.spec.secure_aggregation ?? {})).toBe(false);
    expect(
      errorsOf({ ...study, secure_aggregation: { threshold: 4, clip_norm: 1, prg: 'chacha20' } }),
    ).toEqual([
      {
        field: 'secure_aggregation.prg',
        message:
          'prg must be aes-256-ctr (the default) or aes-128-ctr (cheaper unmasking; every site must run a client that knows it)',
      },
    ]);
  });

  it('grid_scale: a plain study keeps it and its plan folds on it; refused when not a power of two or with secure_aggregation', () => {
    const { secure_aggregation: _omit, ...plain } = study;
    const r = validateStudySpec({ ...plain, grid_scale: 8192 });
    expect(r.ok && r.spec.grid_scale).toBe(8192);
    expect(r.ok && roundPlanOf(r.spec).gridScale).toBe(8192);
    expect(errorsOf({ ...plain, grid_scale: 3000 })).toEqual([
      {
        field: 'grid_scale',
        message:
          'grid_scale 3000 must be a power of two in [2^-30, 2^40], e.g. 8192 (clippedGridScale of clip_norm and W)',
      },
    ]);
    expect(errorsOf({ ...plain, grid_scale: 2 ** 41 }).map((e) => e.field)).toEqual(['grid_scale']);
    expect(errorsOf({ ...study, grid_scale: 8192 }).map((e) => e.message)).toEqual([
      'grid_scale is for plain studies: a secure study takes its grid from secure_aggregation (ring_bits 32: clip_norm and the approved weights); leave grid_scale out',
    ]);
    const without = validateStudySpec(plain);
    expect(without.ok && 'grid_scale' in without.spec).toBe(false);
  });

  it('leaves studies without it unchanged (screened by default)', () => {
    const { secure_aggregation: _omit, ...plain } = study;
    const r = validateStudySpec(plain);
    expect(r.ok && 'secure_aggregation' in r.spec).toBe(false);
    expect(r.ok && roundPlanOf(r.spec).screening).not.toBeNull();
  });

  it.each([
    [2, 'not more than half of 5'],
    [5, 'above min_sites 4'],
  ])('refuses threshold %i (%s), naming the field and the range', (threshold) => {
    expect(errorsOf({ ...study, secure_aggregation: { threshold, clip_norm: 1 } })).toEqual([
      {
        field: 'secure_aggregation.threshold',
        message: `threshold ${threshold} must be more than half the 5 listed sites and at most min_sites 4 (an integer in 3..4): set secure_aggregation.threshold in that range, or raise min_sites`,
      },
    ]);
  });

  it.each(['median', 'trimmed_mean'])('refuses robustness.aggregator %s with a field error', (aggregator) => {
    const errors = errorsOf({ ...study, robustness: { aggregator } });
    expect(errors.map((e) => e.field)).toEqual(['robustness.aggregator']);
    expect(errors[0]!.message).toMatch(
      new RegExp(`^aggregator ${aggregator} needs every site's update in the clear`),
    );
  });

  it('refuses an explicit screening: true, accepts screening: false', () => {
    expect(errorsOf({ ...study, robustness: { screening: true } }).map((e) => e.field)).toEqual([
      'robustness.screening',
    ]);
    expect(errorsOf({ ...study, robustness: { screening: false } })).toEqual([]);
  });

  it.each([
    [{ threshold: 4 }, 'secure_aggregation.clip_norm'],
    [{ threshold: 4.5, clip_norm: 1 }, 'secure_aggregation.threshold'],
    [{ threshold: 4, clip_norm: 0 }, 'secure_aggregation.clip_norm'],
    [{ threshold: 4, clip_norm: 1, rounds: 2 }, 'secure_aggregation.rounds'],
    [{ threshold: 4, clip_norm: 1, ring_bits: 16 }, 'secure_aggregation.ring_bits'],
    [{ threshold: 4, clip_norm: 1, ring_bits: '32' }, 'secure_aggregation.ring_bits'],
  ])('refuses a malformed option %j at %s', (option, field) => {
    expect(errorsOf({ ...study, secure_aggregation: option }).map((e) => e.field)).toContain(field);
  });
});
