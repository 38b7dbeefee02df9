import { erfcTable, expectRelClose, pnormTable, procVersion } from '../fixtures/reference';
import { erfc, normalCdf, twoSidedP } from './normal';

describe('erfc', () => {
  it('equals the C library erfc (Python math.erfc) to 2e-15 relative on [-6, 27.2]', () => {
    // Cody's approximation is good to a few ulp (largest seen: 4.7e-16). Subnormal results excluded.
    erfcTable.x.forEach((x, i) => {
      const ref = erfcTable.erfc[i]!;
      if (ref >= 2.3e-308) expectRelClose(erfc(x), ref, `erfc(${x}) vs math.erfc`, 2e-15);
    });
  });

  it('has the limits and symmetry', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(30)).toBe(0);
    expect(erfc(NaN)).toBeNaN();
    expect(erfc(-1) + erfc(1)).toBeCloseTo(2, 15);
  });
});

describe('normalCdf', () => {
  it(`equals R pnorm (fixtures of pROC ${procVersion}'s script) to 2e-15 relative on [-37.5, 8]`, () => {
    // Largest error seen: 5.6e-16. Below -37.5193 R returns 0 while Φ(x) is still a subnormal double (ours: Φ(-38) = 2.9e-316).
    pnormTable.x.forEach((x, i) => {
      if (x >= -37.5) expectRelClose(normalCdf(x), pnormTable.p[i]!, `pnorm(${x}) vs R`, 2e-15);
    });
    expect(normalCdf(-38)).toBeGreaterThan(0);
  });

  it('gives the 5% two-sided point', () => {
    expect(twoSidedP(1.959963984540054)).toBeCloseTo(0.05, 15);
    expect(twoSidedP(0)).toBe(1);
    expect(twoSidedP(-Infinity)).toBe(0);
  });
});
