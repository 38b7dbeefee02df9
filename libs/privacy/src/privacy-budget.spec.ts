import { describe, expect, it } from '@jest/globals';
import { rdpFixtures } from '../fixtures/reference';
import { privacyBudget } from './privacy-budget';

// mpmath reference (libs/privacy/fixtures/make_fixtures.py): q 0.02, σ 1.3, 5000 steps, δ 1e-5.
const hospital = rdpFixtures.cases.find((c) => c.why.startsWith('typical hospital site'))!;
const dp = (maxEpsilon: number) =>
  Object.freeze({
    noise_multiplier: hospital.noise_multiplier,
    clip_norm: 1,
    sampling_rate: hospital.sampling_rate,
    max_epsilon: maxEpsilon,
    delta: hospital.delta,
  });

describe('privacyBudget', () => {
  it('composes every round of a site: 9 rounds done + 1 of 500 steps is the 5000-step fixture ε', () => {
    const b = privacyBudget(dp(8), [{ site: 'a', stepsPerRound: 500 }], 9);
    const after = b.sites[0]!.afterNextRound;
    expect(Math.abs(after.epsilon - hospital.epsilon)).toBeLessThanOrEqual(1e-6 * hospital.epsilon);
    expect(after.order).toBe(hospital.order);
    expect(b.sites[0]!.spent.epsilon).toBeLessThan(after.epsilon);
  });

  it('allows the next round just under max_epsilon and refuses it just over', () => {
    const sites = [{ site: 'a', stepsPerRound: 500 }];
    expect(privacyBudget(dp(hospital.epsilon * 1.0001), sites, 9).nextRoundAllowed).toBe(true);
    const refused = privacyBudget(dp(hospital.epsilon * 0.9999), sites, 9);
    expect(refused.nextRoundAllowed).toBe(false);
    expect(refused.sites[0]!.exceeds).toBe(true);
  });

  it('the busiest site decides: sites compose separately (disjoint patients)', () => {
    const b = privacyBudget(
      dp(hospital.epsilon * 0.9999),
      [
        { site: 'small', stepsPerRound: 50 },
        { site: 'busy', stepsPerRound: 500 },
      ],
      9,
    );
    expect(b.sites.map((s) => [s.site, s.exceeds])).toEqual([
      ['small', false],
      ['busy', true],
    ]);
    expect(b.nextRoundAllowed).toBe(false);
  });

  it('spends nothing before the first round, and refuses bad counts', () => {
    const b = privacyBudget(dp(8), [{ site: 'a', stepsPerRound: 500 }], 0);
    expect(b.sites[0]!.spent.epsilon).toBe(0);
    expect(() => privacyBudget(dp(8), [{ site: 'a', stepsPerRound: 1.5 }], 0)).toThrow(
      'site a: steps per round 1.5 is not an integer ≥ 0',
    );
    expect(() => privacyBudget(dp(8), [], -1)).toThrow('roundsDone -1 is not an integer ≥ 0');
  });
});
