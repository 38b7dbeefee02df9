import { expectRelClose, fixtureCases, procFor, procVersion } from '../fixtures/reference';
import { delong } from './delong';
import { pairedDelong } from './paired-delong';

const withB = fixtureCases.filter((c) => c.scores_b !== undefined);

describe('pairedDelong', () => {
  it.each(withB.map((c) => [c.name, c] as const))(
    '%s: z and p equal pROC roc.test(method = "delong", paired = TRUE) to 1e-12',
    (name, c) => {
      const ours = pairedDelong(c.labels, c.scores, c.scores_b!);
      const ref = procFor(name).paired;
      if (ref === null) {
        expect(ours).toBeNull();
        return;
      }
      expect(ours).not.toBeNull();
      expectRelClose(ours!.auc_b, ref.auc_b, `${name} auc_b vs pROC ${procVersion}`);
      expectRelClose(ours!.z, ref.z, `${name} z vs pROC ${procVersion} roc.test statistic`);
      expectRelClose(ours!.p, ref.p, `${name} p vs pROC ${procVersion} roc.test p.value`);
    },
  );

  it('reports the single-model DeLong variances and a covariance consistent with them', () => {
    const c = withB.find((x) => x.name === 'large_n')!;
    const r = pairedDelong(c.labels, c.scores, c.scores_b!)!;
    expectRelClose(r.var_a, delong(c.labels, c.scores)!.variance, 'var_a vs delong');
    expectRelClose(r.var_b, delong(c.labels, c.scores_b!)!.variance, 'var_b vs delong');
    // var_a + var_b − 2·cov loses digits to cancellation for correlated models, hence 1e-9 here.
    const sd = Math.sqrt(r.var_a + r.var_b - 2 * r.cov);
    expectRelClose(r.z, (r.auc_a - r.auc_b) / sd, 'z vs (auc_a - auc_b)/sqrt(var_a + var_b - 2 cov)', 1e-9);
  });

  it('gives z = 0, p = 1 for identical models, and for two perfect models', () => {
    const labels = [0, 1, 0, 1, 1, 0];
    const s = [0.2, 0.7, 0.4, 0.6, 0.9, 0.1];
    expect(pairedDelong(labels, s, s)).toMatchObject({ z: 0, p: 1, cov: delong(labels, s)!.variance });
    const perfectB = [0.3, 0.95, 0.35, 0.8, 0.85, 0.25];
    expect(pairedDelong(labels, s, perfectB)).toMatchObject({ auc_a: 1, auc_b: 1, z: 0, p: 1 });
  });

  it('gives z = ±Infinity, p = 0 when the AUCs differ with zero SD', () => {
    // A perfect, B constant: every placement is 1 (A) or ½ (B), so the difference has no spread.
    const r = pairedDelong([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], [0.5, 0.5, 0.5, 0.5])!;
    expect(r.z).toBe(Infinity);
    expect(r.p).toBe(0);
  });

  it('returns null with fewer than two cases in a class', () => {
    expect(pairedDelong([0, 0, 1], [0.1, 0.2, 0.3], [0.3, 0.2, 0.1])).toBeNull();
    expect(pairedDelong([1, 1], [0.1, 0.2], [0.3, 0.2])).toBeNull();
  });
});
