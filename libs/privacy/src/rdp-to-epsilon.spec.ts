import { describe, expect, it } from '@jest/globals';
import { epsilonFromRdp } from './rdp-to-epsilon';

describe('epsilonFromRdp', () => {
  it('is the Balle et al. 2020 / Opacus conversion at a single order (hand formula)', () => {
    // 0.5 − (log 1e-5 + log 2)/1 + log(1/2)
    const expected = 0.5 - (Math.log(1e-5) + Math.log(2)) + Math.log(0.5);
    expect(epsilonFromRdp([2], [0.5], 1e-5)).toEqual({ epsilon: expected, order: 2 });
  });
  it('takes the order with the smallest ε, and is never above the older Mironov 2017 conversion', () => {
    const orders = [2, 8, 32];
    const rdp = [0.2, 0.8, 3.2]; // the Gaussian mechanism α/(2σ²) with σ² = 5
    const spent = epsilonFromRdp(orders, rdp, 1e-5);
    const each = orders.map(
      (a, k) => rdp[k]! - (Math.log(1e-5) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a),
    );
    expect(spent.epsilon).toBe(Math.min(...each));
    expect(spent.order).toBe(orders[each.indexOf(Math.min(...each))]);
    const older = Math.min(...orders.map((a, k) => rdp[k]! - Math.log(1e-5) / (a - 1)));
    expect(spent.epsilon).toBeLessThan(older);
  });
  it('clamps at 0 and refuses mismatched input', () => {
    expect(epsilonFromRdp([512], [0], 0.5).epsilon).toBe(0);
    expect(() => epsilonFromRdp([2, 3], [1], 1e-5)).toThrow('need one RDP value per order');
    expect(() => epsilonFromRdp([2], [1], 0)).toThrow('delta 0 is not in (0, 1)');
  });
});
