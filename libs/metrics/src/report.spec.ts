import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePredictionsCsv } from './predictions-csv';
import { metricsReport } from './report';
import { MetricsInputError } from './validate';

// Reference: pROC (auc, var(method = "delong"), ci.auc, roc.test paired DeLong, coords "best" Youden),
// R glm (calibration) and the Vickers & Elkin formula written out in R, on examples/predictions.csv;
// from libs/metrics/fixtures/make_report_fixture.R (re-run it from the repository root).
const root = join(__dirname, '../../..');
const reference = JSON.parse(readFileSync(join(__dirname, '../fixtures/report_example.json'), 'utf8'));
const example = Object.freeze(
  parsePredictionsCsv(readFileSync(join(root, 'examples/predictions.csv'), 'utf8')),
);

const near = (actual: number | null | undefined, expected: number, rel: number): void => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-15);
};

describe('metricsReport on the example predictions, against pROC and glm', () => {
  const r = metricsReport(example);

  it('has exactly the documented keys, in order, and is its own JSON', () => {
    expect(Object.keys(r)).toEqual([
      'n',
      'n_pos',
      'prevalence',
      'auc',
      'delong_var',
      'auc_ci',
      'paired',
      'roc',
      'youden',
      'brier',
      'calibration',
      'dca',
    ]);
    expect(Object.keys(r.paired!)).toEqual(['auc_b', 'delong_var_b', 'z', 'p']);
    expect(Object.keys(r.roc!)).toEqual(['thresholds', 'fpr', 'tpr']);
    expect(Object.keys(r.youden!)).toEqual(['threshold', 'sensitivity', 'specificity', 'j']);
    expect(Object.keys(r.calibration)).toEqual(['intercept', 'slope', 'intercept_joint']);
    expect(Object.keys(r.dca!)).toEqual(['thresholds', 'net_benefit', 'treat_all', 'range', 'runs']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('counts, AUC, DeLong variance and CI (1e-12 relative)', () => {
    expect(r.n).toBe(reference.n);
    expect(r.n_pos).toBe(reference.n_pos);
    near(r.prevalence, reference.prevalence, 1e-15);
    near(r.auc, reference.auc, 1e-12);
    near(r.delong_var, reference.delong_var, 1e-12);
    near(r.auc_ci![0], reference.auc_ci[0], 1e-12);
    near(r.auc_ci![1], reference.auc_ci[1], 1e-12);
  });

  it('paired DeLong test against score_b (z, p to 1e-10 relative)', () => {
    near(r.paired!.auc_b, reference.paired.auc_b, 1e-12);
    near(r.paired!.delong_var_b, reference.paired.delong_var_b, 1e-12);
    near(r.paired!.z, reference.paired.z, 1e-10);
    near(r.paired!.p, reference.paired.p, 1e-10);
  });

  it('ROC starts at +∞ written as null; Youden sensitivity/specificity as pROC', () => {
    expect(r.roc!.thresholds[0]).toBeNull();
    expect(r.roc!.fpr[0]).toBe(0);
    expect(r.roc!.tpr[0]).toBe(0);
    near(r.youden!.sensitivity, reference.youden.sensitivity, 1e-15);
    near(r.youden!.specificity, reference.youden.specificity, 1e-15);
    near(r.youden!.j, reference.youden.sensitivity + reference.youden.specificity - 1, 1e-14);
  });

  it('Brier, calibration (1e-10 relative vs glm) and the decision curve (1e-14 absolute: R rounds fp/n·t/(1−t) in another order)', () => {
    near(r.brier, reference.brier, 1e-14);
    near(r.calibration.intercept, reference.calibration.intercept, 1e-10);
    near(r.calibration.slope, reference.calibration.slope, 1e-10);
    near(r.calibration.intercept_joint, reference.calibration.intercept_joint, 1e-10);
    r.dca!.net_benefit.forEach((v, i) =>
      expect(Math.abs(v - reference.dca.net_benefit[i])).toBeLessThanOrEqual(1e-14),
    );
    r.dca!.treat_all.forEach((v, i) =>
      expect(Math.abs(v - reference.dca.treat_all[i])).toBeLessThanOrEqual(1e-14),
    );
  });
});

describe('metricsReport edge cases', () => {
  it('single class: undefined values are null, defined ones are not (hand derivation)', () => {
    const r = metricsReport({
      labels: [0, 0, 0, 0],
      scores: [0.1, 0.2, 0.3, 0.4],
      scores_b: [0.5, 0.5, 0.5, 0.5],
    });
    expect(r).toMatchObject({
      n: 4,
      n_pos: 0,
      prevalence: 0,
      auc: null,
      delong_var: null,
      auc_ci: null,
      paired: { auc_b: null, delong_var_b: null, z: null, p: null },
      roc: null,
      youden: null,
      calibration: { intercept: null, slope: null, intercept_joint: null },
    });
    // Brier = (0.01 + 0.04 + 0.09 + 0.16) / 4 = 0.075.
    expect(r.brier).toBeCloseTo(0.075, 15);
    // No positives: treat-all = −t/(1−t); the model can never beat treat-none.
    expect(r.dca!.treat_all[49]).toBeCloseTo(-1, 15);
    expect(r.dca!.range).toBeNull();
    expect(r.dca!.runs).toEqual([]);
  });

  it('paired is null without scores_b; one case per class gives an AUC but no DeLong variance', () => {
    const r = metricsReport({ labels: [0, 1], scores: [0.2, 0.7] });
    expect(r.paired).toBeNull();
    expect(r.auc).toBe(1);
    expect(r.delong_var).toBeNull();
    expect(r.auc_ci).toBeNull();
  });

  it('empty input: counts zero, everything else null', () => {
    const r = metricsReport({ labels: [], scores: [] });
    expect(r).toMatchObject({ n: 0, n_pos: 0, prevalence: null, auc: null, brier: null, dca: null });
  });

  it('rejects scores outside [0, 1] naming the array and position', () => {
    expect(() => metricsReport({ labels: [0, 1], scores: [0.2, 7] })).toThrow(MetricsInputError);
    expect(() => metricsReport({ labels: [0, 1], scores: [0.2, 0.7], scores_b: [0.1] })).toThrow('scores_b');
  });
});
