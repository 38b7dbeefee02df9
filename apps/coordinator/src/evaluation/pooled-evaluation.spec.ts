import { describe, expect, it } from '@jest/globals';
import { auc, decisionCurve, releasedReport } from '@fedaln/metrics';
import { seededSite } from '../../../../libs/metrics/fixtures/seeded-sites';
import { policyPooled, poolReports, pooledRocCurve } from './pooled-evaluation';

const A = seededSite(120, 31, 0.4, 1.8, 3);
const B = seededSite(65, 32, 0.35, 1.2, 3);
const C = seededSite(10, 33, 0.3, 1.5, 3); // n_pos < k: one bin

describe('poolReports (released reports, k = 5)', () => {
  const reports = [A, B, C].map((s) => releasedReport(s));
  const labels = [A, B, C].flatMap((s) => s.labels);
  const scores = [A, B, C].flatMap((s) => s.scores);

  it('is null without reports', () => {
    expect(poolReports([])).toBeNull();
    expect(policyPooled(null)).toEqual({ auc: null, dca: null });
  });

  it('keeps the AUC within auc_error_bound of the exact AUC of the concatenated cases', () => {
    // Reference: auc() of the concatenated predictions (Mann–Whitney, sklearn-checked in auc.spec.ts).
    const pooled = poolReports(reports)!;
    const exact = auc(labels, scores)!;
    expect(pooled.auc_error_bound).toBeGreaterThan(0);
    expect(Math.abs(pooled.auc! - exact)).toBeLessThanOrEqual(pooled.auc_error_bound! + 1e-12);
    expect(pooled.auc_ci![0]).toBeLessThan(pooled.auc!);
    expect(pooled).toMatchObject({ n: 195, n_pos: labels.filter((y) => y === 1).length, bins: 100 });
    expect(policyPooled(pooled).auc).toBe(pooled.auc);
  });

  it('keeps the decision curve within net_benefit_error_bound of the exact pooled curve', () => {
    // Reference: decisionCurve of the concatenated predictions (numpy-checked in decision-curve.spec.ts).
    const pooled = poolReports(reports)!;
    const exact = decisionCurve(labels, scores);
    pooled.decision_curve.net_benefit.forEach((nb, j) =>
      expect(Math.abs(nb - exact.net_benefit[j]!)).toBeLessThanOrEqual(
        pooled.decision_curve.net_benefit_error_bound[j]! + 1e-12,
      ),
    );
  });

  it('draws the ROC from (0, 0) to (1, 1) through the grid', () => {
    const roc = pooledRocCurve(reports);
    expect(roc.fpr).toHaveLength(101);
    expect([roc.fpr[0], roc.tpr[0], roc.fpr[100], roc.tpr[100]]).toEqual([0, 0, 1, 1]);
  });
});
