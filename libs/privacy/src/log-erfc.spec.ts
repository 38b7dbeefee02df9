import { describe, expect, it } from '@jest/globals';
import { logErfc } from './log-erfc';

// log erfc(x) from mpmath at 30 digits: mp.log(mp.erfc(x)).
const MPMATH: readonly (readonly [number, number])[] = Object.freeze([
  [-3, 0.6931361352504468],
  [0.5, -0.7350111298370844],
  [5, -27.200889545537436],
  [25, -628.7920391740716],
  [25.0000001, -628.7920441780653],
  [30, -903.9741171106439],
  [100, -10005.177585122665],
]);

describe('logErfc', () => {
  it.each(MPMATH)('log erfc(%p) matches mpmath to 1e-13 relative', (x, ref) => {
    expect(Math.abs(logErfc(x) - ref)).toBeLessThanOrEqual(1e-13 * Math.abs(ref));
  });
  it('is 0 at 0 and finite far beyond where erfc underflows', () => {
    expect(logErfc(0)).toBe(0);
    expect(Number.isFinite(logErfc(1000))).toBe(true);
  });
});
