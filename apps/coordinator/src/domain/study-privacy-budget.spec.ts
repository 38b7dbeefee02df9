import { describe, expect, it } from '@jest/globals';
import { rdpFixtures } from '../../../../libs/privacy/fixtures/reference';
import { dpSgdEpsilon } from '@fedaln/privacy';
import {
  dpStepsPerRound,
  dpTrainingOf,
  roundPrivacyLedger,
  studyPrivacyBudget,
  trainingPasses,
} from './study-privacy-budget';
import type { StudySpec } from './study-spec';

// mpmath reference (libs/privacy/fixtures/make_fixtures.py): q 0.02, σ 1.3, 5000 steps, δ 1e-5.
const hospital = rdpFixtures.cases.find((c) => c.why.startsWith('typical hospital site'))!;
const SITES = ['0b6f1f5e-1d2a-4c3b-9a8e-1f2e3d4c5b6a', '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'];
const BASE: StudySpec = {
  name: 'dp budget',
  arch: 'densenet-tiny',
  input_size: 32,
  init_weights: 'random',
  rounds: 20,
  local_epochs: 1,
  batch_size: 4,
  learning_rate: 0.001,
  min_sites: 2,
  round_deadline_s: 600,
  sites: SITES,
  release_policy: {
    min_site_auc: 0.7,
    min_pooled_auc: 0.7,
    dca_range: [0.1706, 0.6052],
    min_sites_passing: 'all',
  },
};
const exampleStudySpec = (sites: string[], patch: Partial<StudySpec> = {}): StudySpec => ({
  ...BASE,
  sites,
  ...patch,
});

describe('dpStepsPerRound', () => {
  it('is ⌈local_epochs / q⌉, exact at whole quotients despite rounding (2 / 0.01 = 200.00000000000003)', () => {
    expect(dpStepsPerRound({ local_epochs: 1, dp: { sampling_rate: 0.016 } })).toBe(63);
    expect(dpStepsPerRound({ local_epochs: 2, dp: { sampling_rate: 0.01 } })).toBe(200);
    expect(dpStepsPerRound({ local_epochs: 10, dp: { sampling_rate: 0.02 } })).toBe(500);
  });
});

describe('studyPrivacyBudget', () => {
  const spec = (maxEpsilon: number) =>
    exampleStudySpec(SITES, {
      local_epochs: 10,
      dp: {
        accounting_only: true,
        noise_multiplier: hospital.noise_multiplier,
        clip_norm: 1,
        sampling_rate: hospital.sampling_rate,
        max_epsilon: maxEpsilon,
        delta: hospital.delta,
      },
    });

  it('charges every site 500 steps a round: after 9 rounds the 10th reaches the 5000-step fixture ε', () => {
    const b = studyPrivacyBudget(spec(8), 9)!;
    expect(b.sites.map((s) => s.site)).toEqual(SITES);
    for (const s of b.sites)
      expect(Math.abs(s.afterNextRound.epsilon - hospital.epsilon)).toBeLessThanOrEqual(
        1e-6 * hospital.epsilon,
      );
    expect(b.nextRoundAllowed).toBe(true);
    expect(studyPrivacyBudget(spec(hospital.epsilon * 0.9999), 9)!.nextRoundAllowed).toBe(false);
  });

  it('is null for a study without dp', () => {
    expect(studyPrivacyBudget(exampleStudySpec(SITES), 3)).toBeNull();
  });
});

describe('the round privacy ledger', () => {
  const dp = { noise_multiplier: 1.3, clip_norm: 1, sampling_rate: 0.02, max_epsilon: 8, delta: 1e-5 };
  const spec = exampleStudySpec(SITES, { local_epochs: 1, dp });
  const epsilonAt = (steps: number) =>
    dpSgdEpsilon({ noiseMultiplier: 1.3, samplingRate: 0.02, steps }, 1e-5).epsilon;

  it('charges each attempt of a round that reached training; a waiting round only its earlier attempts', () => {
    expect(
      trainingPasses([
        { number: 1, attempt: 1, state: 'completed' },
        { number: 2, attempt: 3, state: 'training' },
        { number: 3, attempt: 2, state: 'waiting' },
      ]),
    ).toBe(5);
  });

  it('gives ε per site after each round from the accountant at the study’s σ, q and steps (50 a pass)', () => {
    const ledger = roundPrivacyLedger(spec, [
      { number: 2, attempt: 2, state: 'completed' }, // retried once: two passes
      { number: 1, attempt: 1, state: 'completed' },
      { number: 3, attempt: 1, state: 'waiting' },
    ]);
    expect(ledger.get(1)).toMatchObject({ steps: 50, noiseAdded: true, delta: 1e-5, maxEpsilon: 8 });
    expect(ledger.get(1)!.sites.map((s) => [s.site, s.epsilon])).toEqual(
      SITES.map((id) => [id, epsilonAt(50)]),
    );
    expect(ledger.get(2)!.steps).toBe(150);
    expect(ledger.get(2)!.sites[0]!.epsilon).toBe(epsilonAt(150));
    expect(ledger.get(3)!.steps).toBe(150);
    const accountingOnly = roundPrivacyLedger(
      exampleStudySpec(SITES, { dp: { ...dp, accounting_only: true } }),
      [{ number: 1, attempt: 1, state: 'completed' }],
    );
    expect(accountingOnly.get(1)!.noiseAdded).toBe(false);
    expect(
      roundPrivacyLedger(exampleStudySpec(SITES), [{ number: 1, attempt: 1, state: 'completed' }]).size,
    ).toBe(0);
  });

  it('tells sites the steps the accountant charges; nothing for accounting-only or no dp', () => {
    expect(dpTrainingOf(spec)).toEqual({
      noise_multiplier: 1.3,
      clip_norm: 1,
      sampling_rate: 0.02,
      steps: 50,
    });
    expect(dpTrainingOf({ ...spec, dp: { ...dp, accounting_only: true } })).toBeNull();
    expect(dpTrainingOf(exampleStudySpec(SITES))).toBeNull();
  });
});
