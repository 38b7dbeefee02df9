import { describe, expect, it } from '@jest/globals';
import { logAdd, logSub } from './log-sum';

describe('logAdd / logSub', () => {
  it('add and subtract in log space (reference: the plain sums 2 + 3, 5 − 3)', () => {
    expect(logAdd(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 15);
    expect(logSub(Math.log(5), Math.log(3))).toBeCloseTo(Math.log(2), 15);
  });
  it('stay finite where exp overflows: log(e^1000 + e^1000) = 1000 + log 2', () => {
    expect(logAdd(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSub(1000 + Math.LN2, 1000)).toBeCloseTo(1000, 12);
  });
  it('treat −∞ as zero and refuse a negative difference', () => {
    expect(logAdd(-Infinity, 3)).toBe(3);
    expect(logSub(3, -Infinity)).toBe(3);
    expect(logSub(3, 3)).toBe(-Infinity);
    expect(() => logSub(1, 2)).toThrow('is negative');
  });
});
