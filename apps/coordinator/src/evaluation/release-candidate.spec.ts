import { describe, expect, it } from '@jest/globals';
import { selectReleaseCandidate, type RoundValidation } from './release-candidate';

const round = (n: number, auc: number | null): RoundValidation =>
  Object.freeze({
    round: n,
    pooled_validation_auc: auc,
    auc_error_bound: auc === null ? null : 0.01,
    n: 60,
    sites: 3,
  });

describe('selectReleaseCandidate', () => {
  it('picks the round with the best pooled validation AUC, not the last, and says why', () => {
    const c = selectReleaseCandidate([round(3, 0.7), round(1, 0.65), round(2, 0.74)]);
    expect(c).toMatchObject({ round: 2, pooled_validation_auc: 0.74, rule: 'best_validation_auc' });
    expect(c?.reason).toBe(
      'round 2 has the best pooled validation AUC, 0.7400 (± 0.0100, 60 validation cases of 3 sites) of 3 completed rounds; next best round 3 (0.7000); the last completed round is 3',
    );
    expect(c?.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
  });

  it('takes the earliest of tied rounds, and skips rounds without a validation AUC', () => {
    const c = selectReleaseCandidate([round(1, null), round(2, 0.7), round(3, 0.7)]);
    expect(c).toMatchObject({ round: 2, pooled_validation_auc: 0.7 });
    expect(c?.reason).toContain('tied with round 3: the earliest of the tied rounds');
  });

  it('falls back to the last completed round when no round has a validation AUC (validation_fraction 0)', () => {
    const c = selectReleaseCandidate([round(1, null), round(2, null)]);
    expect(c).toMatchObject({ round: 2, pooled_validation_auc: null, rule: 'last_completed' });
    expect(c?.reason).toContain('round 2, the last completed');
  });

  it('has no candidate before a round completes', () => {
    expect(selectReleaseCandidate([])).toBeNull();
  });
});
