import { expectRelClose, fixtureCases, procFor, procVersion } from '../fixtures/reference';
import { delong, Z_95 } from './delong';
import { placementCovariance, placements } from './placements';

describe('delong', () => {
  it.each(fixtureCases.map((c) => [c.name, c] as const))(
    '%s: variance and 95% CI equal pROC var/ci.auc(method = "delong") to 1e-12',
    (name, c) => {
      const ours = delong(c.labels, c.scores);
      const ref = procFor(name);
      if (ref.auc === null) {
        expect(ours).toBeNull();
        return;
      }
      expect(ours).not.toBeNull();
      expectRelClose(ours!.auc, ref.auc, `${name} auc vs pROC ${procVersion}`);
      expectRelClose(ours!.variance, ref.var, `${name} variance vs pROC ${procVersion} var(method="delong")`);
      if (ref.ci === null) {
        expect(ours!.ci).toBeNull();
      } else {
        expectRelClose(ours!.ci![0], ref.ci[0], `${name} ci lo vs pROC ${procVersion} ci.auc`);
        expectRelClose(ours!.ci![1], ref.ci[2], `${name} ci hi vs pROC ${procVersion} ci.auc`);
      }
    },
  );

  it.each(fixtureCases.map((c) => [c.name, c] as const))(
    '%s: the tie-group variance equals the per-case placement covariance to 1e-13',
    (name, c) => {
      const pl = placements(c.labels, c.scores);
      const ours = delong(c.labels, c.scores);
      if (pl === null || pl.nPositive < 2 || pl.nNegative < 2) return;
      const perCase = placementCovariance(c.labels, pl, pl);
      if (perCase === 0) expect(ours!.variance).toBe(0);
      else expect(Math.abs(ours!.variance! - perCase) / perCase).toBeLessThan(1e-13);
      expect(ours!.auc).toBe(pl.auc);
    },
  );

  it('has the documented shape for one case in a class', () => {
    expect(delong([0, 0, 1], [0.1, 0.3, 0.2])).toEqual({ auc: 0.5, variance: null, ci: null });
    expect(delong([0, 0], [0.1, 0.3])).toBeNull();
  });

  it('gives variance 0 and CI [1, 1] for perfect separation', () => {
    expect(delong([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toEqual({ auc: 1, variance: 0, ci: [1, 1] });
  });

  it('uses the two-sided 95% normal quantile', () => {
    const r = delong([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])!;
    expect(r.ci![0]).toBeCloseTo(r.auc - Z_95 * Math.sqrt(r.variance!), 15);
    expect(Z_95).toBe(1.959963984540054);
  });
});
