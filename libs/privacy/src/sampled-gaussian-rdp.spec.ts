import { describe, expect, it } from '@jest/globals';
import { rdpFixtures } from '../fixtures/reference';
import { DEFAULT_RDP_ORDERS } from './rdp-orders';
import { sampledGaussianRdp } from './sampled-gaussian-rdp';

// mpmath (50 digits) values from libs/privacy/fixtures/make_fixtures.py: integer orders by the exact
// binomial sum, fractional ones by numerical integration of the Rényi moment (not by the series).
const fixtures = rdpFixtures;

describe('sampledGaussianRdp', () => {
  it('evaluates at the TF Privacy order list (compute_dp_sgd_privacy_lib.py) the fixtures used', () => {
    expect(DEFAULT_RDP_ORDERS).toEqual(fixtures.orders);
    expect(DEFAULT_RDP_ORDERS.slice(0, 11)).toEqual([1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(DEFAULT_RDP_ORDERS.slice(-4)).toEqual([63, 128, 256, 512]);
  });

  it('q = 1 is the Gaussian mechanism, α/(2σ²) (Mironov 2017, Prop. 7); q = 0 leaks nothing', () => {
    expect(sampledGaussianRdp(1, 2, 4)).toBe(0.5);
    expect(sampledGaussianRdp(1, 0.5, 1.5)).toBe(3);
    expect(sampledGaussianRdp(0, 1, 8)).toBe(0);
  });

  it.each(fixtures.cases.map((c) => [c.why, c] as const))(
    'matches mpmath at every order to 1e-6 relative: %s',
    (_why, c) => {
      c.rdp.forEach((ref, k) => {
        const got = c.steps * sampledGaussianRdp(c.sampling_rate, c.noise_multiplier, fixtures.orders[k]!);
        // Absolute floor: RDP of order ~1e-12 per step at q = 1e-5 is a difference of doubles near 1.
        expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-6 * ref + 1e-15 * c.steps);
      });
    },
  );

  it('fractional and integer orders join smoothly: RDP is non-decreasing in α (Mironov 2017, Prop. 9)', () => {
    const rdp = DEFAULT_RDP_ORDERS.map((a) => sampledGaussianRdp(0.01, 1.1, a));
    rdp.slice(1).forEach((r, k) => expect(r).toBeGreaterThanOrEqual(rdp[k]! * (1 - 1e-12)));
  });

  it('refuses parameters outside the mechanism', () => {
    expect(() => sampledGaussianRdp(1.5, 1, 2)).toThrow('sampling rate 1.5 is not in [0, 1]');
    expect(() => sampledGaussianRdp(0.1, 0, 2)).toThrow('noise multiplier 0 is not a positive number');
    expect(() => sampledGaussianRdp(0.1, 1, 1)).toThrow('RDP order 1 is not > 1');
  });
});
