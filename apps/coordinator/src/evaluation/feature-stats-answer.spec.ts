import { describe, expect, it } from '@jest/globals';
import { checkFeatureStats } from './feature-stats-answer';

// k = 2 (intercept + one covariate); the statistics are made up, only their shape matters here.
const GOOD = Object.freeze({
  k: 2,
  information: [4, 1, 1, 3],
  score: [0.5, -0.25],
  deviance: 12.5,
  max_abs_eta: 0,
});

describe('checkFeatureStats', () => {
  it('turns a well-formed answer into Float64Array statistics, values unchanged', () => {
    const checked = checkFeatureStats(GOOD, 2);
    expect(checked).toEqual({
      ok: true,
      stats: {
        k: 2,
        information: Float64Array.from([4, 1, 1, 3]),
        score: Float64Array.from([0.5, -0.25]),
        deviance: 12.5,
        max_abs_eta: 0,
      },
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'stats', /stats is of type string; expected an object/],
    ['null', null, /stats is null/],
    ['another k', { ...GOOD, k: 3 }, /k is 3; expected 2/],
    // The attack from issue 13: Float64Array.from({ length: 1e8 }) would set aside 800 MB.
    [
      'an array-like of length 1e8',
      { ...GOOD, information: { length: 1e8 } },
      /information is of type object; expected an array of 4 finite numbers/,
    ],
    [
      'an information of k entries, not k²',
      { ...GOOD, information: [4, 1] },
      /information is an array of length 2; expected an array of 4/,
    ],
    [
      'a long score',
      { ...GOOD, score: new Array<number>(1000).fill(0) },
      /score is an array of length 1000; expected an array of 2/,
    ],
    ['a string entry', { ...GOOD, score: [0.5, '1'] }, /score\[1\] is "1"; expected a finite number/],
    ['a null entry (NaN on the wire)', { ...GOOD, information: [4, null, 1, 3] }, /information\[1\] is null/],
    [
      'an infinite deviance',
      { ...GOOD, deviance: Infinity },
      /deviance is null; expected a finite number ≥ 0/,
    ],
    [
      'a negative max_abs_eta',
      { ...GOOD, max_abs_eta: -1 },
      /max_abs_eta is -1; expected a finite number ≥ 0/,
    ],
  ])('refuses %s, naming the value and what to do', (_what, raw, reason) => {
    const checked = checkFeatureStats(raw, 2);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.reason).toMatch(reason);
    expect(checked.reason).toContain('update the site client');
  });
});
