import { describe, expect, it } from '@jest/globals';
import { detAtan2, detCos, detExp, detLog, detLog10, detSin, PI } from './detmath';

// Reference: the engine's Math.* (V8's fdlibm port, within 1 ulp of the true value) and exact
// identities. The deterministic versions must agree to ~1e-15 relative.
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe('deterministic elementary functions', () => {
  const xs = Array.from({ length: 401 }, (_, i) => -50 + i * 0.25 + 0.0123);

  it('detExp matches Math.exp to 2e-15 relative, including the under/overflow edges', () => {
    for (const x of xs) expect(rel(detExp(x), Math.exp(x))).toBeLessThan(2e-15);
    expect(detExp(0)).toBe(1);
    expect(rel(detExp(1), Math.E)).toBeLessThan(1e-15);
    expect(detExp(710)).toBe(Infinity);
    expect(detExp(-746)).toBe(0);
    expect(rel(detExp(-740), Math.exp(-740))).toBeLessThan(1e-3); // subnormal: few significant bits
  });

  it('detLog matches Math.log to 1e-15 (absolute near 1, relative elsewhere)', () => {
    for (const x of [1e-300, 1e-10, 0.001, 0.5, 0.999, 1.001, 2, 10, 12345.678, 1e300])
      expect(Math.abs(detLog(x) - Math.log(x))).toBeLessThan(1e-15 * Math.max(1, Math.abs(Math.log(x))));
    expect(detLog(1)).toBe(0);
    expect(detLog(0)).toBe(-Infinity);
    expect(detLog(-1)).toBeNaN();
    expect(Math.abs(detLog(5e-324) - Math.log(5e-324))).toBeLessThan(1e-12);
    expect(Math.abs(detLog10(1000) - 3)).toBeLessThan(1e-15);
  });

  it('detSin and detCos match Math.sin/cos to 1e-15 absolute and hit exact quadrant values', () => {
    for (const x of xs.concat([1000.5, -2345.25])) {
      expect(Math.abs(detSin(x) - Math.sin(x))).toBeLessThan(1e-14);
      expect(Math.abs(detCos(x) - Math.cos(x))).toBeLessThan(1e-14);
    }
    expect(detSin(0)).toBe(0);
    expect(detCos(0)).toBe(1);
    expect(Math.abs(detSin(PI / 2) - 1)).toBeLessThan(1e-16);
    expect(Math.abs(detCos(PI) + 1)).toBeLessThan(1e-16);
  });

  it('detAtan2 matches Math.atan2 in all four quadrants and on the axes', () => {
    for (let i = 0; i < 64; i++) {
      const t = -PI + (2 * PI * (i + 0.5)) / 64;
      const [y, x] = [3 * Math.sin(t), 2 * Math.cos(t)];
      expect(Math.abs(detAtan2(y, x) - Math.atan2(y, x))).toBeLessThan(2e-15);
    }
    expect(detAtan2(1, 1)).toBeCloseTo(PI / 4, 15);
    expect(detAtan2(0, -1)).toBe(PI);
    expect(detAtan2(-1, 0)).toBe(-PI / 2);
    expect(detAtan2(0, 0)).toBe(0);
  });
});
