import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_MODEL_TERMS } from './clinical-features';
import { fitFederatedLogistic } from './federated-logistic';
import { logisticSufficientStats } from './logistic';
import {
  COMBINED_MODEL_TERMS,
  combinedRows,
  dlLogit,
  nomogramPredict,
  nomogramProblem,
  NOMOGRAM_FORMAT,
  PLATT_TERMS,
  plattRows,
} from './nomogram';

// Reference: R `summary(glm(y ~ ., family = binomial))` on the pooled rows, from
// libs/metrics/fixtures/logistic.json (written by make_calibration_fixtures.R). A case's first
// covariate is used as the DL logit: p = expit(x₀), so plattRows/combinedRows must give x₀ back and
// the federated fit over sites must be glm's fit of the same design.
interface LogisticCase {
  name: string;
  X: number[][];
  y: number[];
  glm: { coefficients: number[]; std_errors: number[] };
}
const fixtures: LogisticCase[] = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/logistic.json'), 'utf8'),
);
const fixture = (name: string): LogisticCase => Object.freeze(fixtures.find((c) => c.name === name)!);
const expit = (x: number): number => 1 / (1 + Math.exp(-x));

/** Federated IRLS over `sizes` consecutive sites of (rows, y). */
async function federatedFit(rows: number[][], y: number[], sizes: number[]) {
  const sites: { rows: number[][]; y: number[] }[] = [];
  let at = 0;
  for (const size of sizes) {
    sites.push({ rows: rows.slice(at, at + size), y: y.slice(at, at + size) });
    at += size;
  }
  return fitFederatedLogistic((beta) => sites.map((s) => logisticSufficientStats(s.rows, s.y, beta)), {
    k: rows[0]!.length + 1,
  });
}

function expectClose(actual: number[] | null, expected: number[], rel: number): void {
  expect(actual).not.toBeNull();
  actual!.forEach((v, i) =>
    expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(rel * (1 + Math.abs(expected[i]!))),
  );
}

describe('Platt recalibration and the combined model by federated IRLS', () => {
  it('Platt: logit(p) rows over 2 sites give glm(y ~ logit p) (fixture "six cases, one covariate")', async () => {
    const c = fixture('six cases, one covariate');
    const rows = plattRows(c.X.map(([x]) => expit(x!)));
    rows.forEach(([l], i) => expect(l).toBeCloseTo(c.X[i]![0]!, 12));
    const fit = await federatedFit(rows, c.y, [3, 3]);
    expectClose(fit.coefficients, c.glm.coefficients, 1e-8);
    expectClose(fit.std_errors, c.glm.std_errors, 1e-6);
  });

  it('combined: [logit p, features] rows over 3 sites give glm (fixture "n = 3000, two covariates")', async () => {
    const c = fixture('n = 3000, two covariates');
    const rows = combinedRows(
      c.X.map(([x0]) => expit(x0!)),
      c.X.map(([, x1]) => [x1!]),
    );
    const fit = await federatedFit(rows, c.y, [1000, 1200, 800]);
    expectClose(fit.coefficients, c.glm.coefficients, 1e-8);
    expectClose(fit.std_errors, c.glm.std_errors, 1e-6);
  });

  it('clamps a saturated DL probability before the logit, and refuses mismatched rows', () => {
    expect(dlLogit(0.5)).toBe(0);
    expect(dlLogit(1)).toBeCloseTo(Math.log((1 - 1e-6) / 1e-6), 10);
    expect(dlLogit(0)).toBeCloseTo(-Math.log((1 - 1e-6) / 1e-6), 10);
    expect(() => combinedRows([0.5, 0.5], [[1, 0, 0, 1]])).toThrow(
      '2 DL scores for 1 feature rows; expected one per case',
    );
  });
});

describe('nomogram.json', () => {
  const platt = {
    covariates: [...PLATT_TERMS],
    coefficients: [-0.5, 0.8],
    std_errors: [0.2, 0.1],
    p: [0.01, 0.001],
  };
  const combined = {
    covariates: [...COMBINED_MODEL_TERMS],
    coefficients: [-3, 0.9, 0.05, 1.1, 0.7, 1.3],
    std_errors: [1, 0.2, 0.01, 0.3, 0.3, 0.4],
    p: [0.01, 0.001, 0.001, 0.01, 0.02, 0.003],
  };
  const nomogram = Object.freeze({ platt, combined });

  it('the combined terms are the DL logit, then the four-feature model terms in their order', () => {
    expect(COMBINED_MODEL_TERMS).toEqual([
      FEATURE_MODEL_TERMS[0],
      'dl_logit',
      ...FEATURE_MODEL_TERMS.slice(1),
    ]);
  });

  it('gives the DL, recalibrated and combined probabilities (closed form expit(Xβ), computed by hand)', () => {
    // expit(−0.5 + 0.8·ln 4) and expit(−3 + 0.9·ln 4 + 0.05·14 + 1.1 + 1.3), Python math.exp.
    const r = nomogramPredict(nomogram, 0.8, [14, 1, 0, 1]);
    expect(r.dl).toBe(0.8);
    expect(r.recalibrated).toBeCloseTo(0.6477207526765946, 14);
    expect(r.combined).toBeCloseTo(0.7937476098126467, 14);
    expect(nomogramPredict(nomogram, 0.8, null).combined).toBeNull();
    expect(nomogramPredict({ platt, combined: null }, 0.8, [14, 1, 0, 1]).combined).toBeNull();
  });

  it.each<[string, unknown, string]>([
    ['another format', { format: 'x' }, 'nomogram.format is "x"; expected "fedaln-nomogram/1"'],
    [
      'Platt terms out of order',
      {
        format: NOMOGRAM_FORMAT,
        platt: { ...platt, covariates: ['dl_logit', '(intercept)'] },
        combined: null,
      },
      'nomogram.platt.covariates is ["dl_logit","(intercept)"]; expected ["(intercept)","dl_logit"]',
    ],
    [
      'a NaN coefficient',
      { format: NOMOGRAM_FORMAT, platt, combined: { ...combined, coefficients: [0, 0, 0, 0, 0, null] } },
      'nomogram.combined.coefficients is [0,0,0,0,0,null]; expected 6 finite numbers',
    ],
    ['an array', [], 'nomogram is not a JSON object'],
  ])('refuses %s naming the field', (_what, value, problem) => {
    expect(nomogramProblem(value)).toBe(problem);
  });

  it('accepts a nomogram with and without the combined model', () => {
    expect(nomogramProblem({ format: NOMOGRAM_FORMAT, platt, combined })).toBeNull();
    expect(nomogramProblem({ format: NOMOGRAM_FORMAT, platt, combined: null })).toBeNull();
  });
});
