import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const middle = (): number => 0.5; // 2r − 1 = 0: no spread

  it('doubles from 1 s and stops at the 60 s cap', () => {
    // min(60000, 1000 · 2^k) for k = 0…7: 1, 2, 4, 8, 16, 32, 60 (cap), 60 s.
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((k) => backoffDelay(k, middle))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
    ]);
    expect(backoffDelay(5000, middle)).toBe(60000); // 2^5000 overflows to ∞; still the cap
  });

  it('spreads by ±20% at the extremes of the random draw', () => {
    // r → 0: 8000 · (1 − 0.2) = 6400; r → 1: 8000 · (1 + 0.2) = 9600.
    expect(backoffDelay(3, () => 0)).toBe(6400);
    expect(backoffDelay(3, () => 0.999999999)).toBe(9600);
  });

  it('takes other bases, factors and caps', () => {
    expect(backoffDelay(2, middle, { baseMs: 100, factor: 3, capMs: 500 })).toBe(500); // 900 → cap 500
    expect(backoffDelay(1, middle, { baseMs: 100, factor: 3, jitter: 0 })).toBe(300);
  });

  it('refuses a negative or fractional attempt', () => {
    expect(() => backoffDelay(-1)).toThrow('attempt -1');
    expect(() => backoffDelay(0.5)).toThrow('attempt 0.5');
  });
});
