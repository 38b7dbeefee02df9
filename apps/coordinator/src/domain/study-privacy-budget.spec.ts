import { describe, expect, it } from '@jest/globals';
import { rdpFixtures } from '../../../../libs/privacy/fixtures/reference';
import { dpStepsPerRound, studyPrivacyBudget } from './study-privacy-budget';
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
