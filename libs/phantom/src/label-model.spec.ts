import { describe, expect, it } from '@jest/globals';
import { auc, fitLogistic } from '@fedaln/metrics';
import { drawCase } from './case';
import { alnRisk, LABEL_MODEL, LABEL_MODEL_V2, riskCovariates } from './label-model';
import { cohortProfile } from './site';

// Targets (tools/tune.py solves the coefficients for them on 400,000 draws; Oncoradiology 34(3):216,
// 2025 is the source of the first two): prevalence 126/324 = 0.389; AUC of a logistic model on the
// four features ≈ 0.80 (study: 0.805); AUC of the generating risk ≈ 0.90. Sampling spread on
// n = 2,000, measured over 150 cohort seeds: SD 0.0098 (prevalence; binomial √(0.39·0.61/2000) =
// 0.011), 0.010 (four-feature AUC, in-sample fit; range 0.772–0.826) and 0.0064 (risk AUC). The
// tolerances are ~3.5 SD. This seed was fixed before looking and lands in the upper tail for the
// four-feature AUC (0.830).
const N = 2000;
const cohort = cohortProfile(20250216, 1);
const cases = Array.from({ length: N }, (_, i) => drawCase(cohort, i));
const labels = cases.map((c) => c.label);

describe('ALN label model on 2,000 cohort draws', () => {
  it('prevalence is about 126/324', () => {
    const prevalence = labels.reduce<number>((a, b) => a + b, 0) / N;
    expect(Math.abs(prevalence - 126 / 324)).toBeLessThan(0.035);
  });

  it('a logistic model on the four radiologist features reaches AUC ≈ 0.80', () => {
    const rows = cases.map((c) => riskCovariates(c.features));
    const fit = fitLogistic(rows, labels);
    expect(fit.converged).toBe(true);
    const beta = fit.coefficients!;
    const scores = rows.map((r) => beta[0]! + r.reduce((a, x, j) => a + beta[j + 1]! * x, 0));
    expect(Math.abs(auc(labels, scores)! - 0.8)).toBeLessThan(0.035);
    // Each of the four is an independent risk factor: positive and significant (Wald z > 3).
    for (const z of fit.z!.slice(1)) expect(z).toBeGreaterThan(3);
  });

  it('the true risk (features + image-only heterogeneity) reaches AUC ≈ 0.90', () => {
    expect(
      Math.abs(
        auc(
          labels,
          cases.map((c) => c.risk),
        )! - 0.9,
      ),
    ).toBeLessThan(0.03);
  });

  it('calcification and lobulation add nothing beside the four (|Wald z| < 3)', () => {
    const rows = cases.map((c) => [
      ...riskCovariates(c.features),
      c.features.calcification ? 1 : 0,
      c.features.lobulation ? 1 : 0,
    ]);
    const fit = fitLogistic(rows, labels);
    for (const z of fit.z!.slice(5)) expect(Math.abs(z)).toBeLessThan(3);
  });

  it('alnRisk is the logistic of the linear predictor (hand-computed reference case)', () => {
    // 30 mm, non-parallel, halo, spiculated, heterogeneity 0.5: logit = b0 + b_size·1 + b_np + b_halo + b_spic + b_het/2.
    const m = LABEL_MODEL;
    const logit =
      m.intercept + m.sizePer10Mm + m.nonParallel + m.echogenicHalo + m.spiculation + m.heterogeneity / 2;
    const f = {
      ...cases[0]!.features,
      sizeMm: 30,
      orientation: 'non-parallel' as const,
      echogenicHalo: true,
    };
    const risk = alnRisk({ ...f, margin: 'spiculated', heterogeneity: 0.5 });
    expect(risk).toBeCloseTo(1 / (1 + Math.exp(-logit)), 14);
    expect(alnRisk({ ...f, margin: 'spiculated', heterogeneity: 0.5 }, 1)).toBeCloseTo(
      1 / (1 + Math.exp(-logit - 1)),
      14,
    );
  });
});

// Phantom v2 (issue 15): the label model acts on the true lesion, labels.csv reports a radiologist's
// read (reads.ts). Targets as above, but for a logistic model on the READS; tools/tune.py solves
// LABEL_MODEL_V2 for them (ratios size 1.5 : 1 : 1 : 1). Spread over 100 cohort seeds at n = 2,000
// (measured with this code: drawCase and fitLogistic): prevalence 0.388 ± 0.011,
// reads' in-sample AUC 0.801 ± 0.010 (0.778–0.822), true risk 0.900 ± 0.007, and the same logistic
// model on the TRUE four features 0.836 ± 0.009 — the rest of the room the image leaves for a CNN is
// the image-only factor. This seed gives 0.391, 0.821, 0.905 (true four 0.857). Tolerances ~3.5 SD.
describe('phantom v2 label model on 2,000 cohort draws', () => {
  const v2 = cohortProfile(20250216, 2);
  const draws = Array.from({ length: N }, (_, i) => drawCase(v2, i));
  const y = draws.map((c) => c.label);
  const fittedAuc = (rows: number[][]) => {
    const fit = fitLogistic(rows, y);
    expect(fit.converged).toBe(true);
    const b = fit.coefficients!;
    return {
      auc: auc(
        y,
        rows.map((r) => b[0]! + r.reduce((a, x, j) => a + b[j + 1]! * x, 0)),
      )!,
      z: fit.z!,
    };
  };

  it('uses LABEL_MODEL_V2 on the true lesion', () => {
    const c = draws[0]!;
    expect(c.risk).toBeCloseTo(alnRisk(c.features, 0, LABEL_MODEL_V2), 14);
  });

  it('prevalence ≈ 0.389, reads reach AUC ≈ 0.80, the true four ≈ 0.84, the true risk ≈ 0.90', () => {
    expect(Math.abs(y.reduce<number>((a, b) => a + b, 0) / N - 126 / 324)).toBeLessThan(0.04);
    const reads = fittedAuc(draws.map((c) => riskCovariates(c.read)));
    expect(Math.abs(reads.auc - 0.8)).toBeLessThan(0.035);
    for (const z of reads.z.slice(1)) expect(z).toBeGreaterThan(3); // still four independent risk factors
    expect(Math.abs(fittedAuc(draws.map((c) => riskCovariates(c.features))).auc - 0.836)).toBeLessThan(0.032);
    expect(
      Math.abs(
        auc(
          y,
          draws.map((c) => c.risk),
        )! - 0.9,
      ),
    ).toBeLessThan(0.028);
  });
});
