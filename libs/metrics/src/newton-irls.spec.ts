import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logisticSufficientStats } from './logistic';
import { runNewtonIrls } from './newton-irls';

// Reference: R `summary(glm(y ~ ., family = binomial))` from libs/metrics/fixtures/logistic.json
// (written by make_calibration_fixtures.R).
interface LogisticCase {
  name: string;
  X: number[][];
  y: number[];
  glm: { coefficients: number[]; std_errors: number[]; deviance: number };
}
const fixtures: LogisticCase[] = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/logistic.json'), 'utf8'),
);
const fixture = (name: string): LogisticCase => Object.freeze(fixtures.find((c) => c.name === name)!);

describe('runNewtonIrls on local rows', () => {
  it.each(['six cases, one covariate', 'clinical four features', 'n = 3000, two covariates'])(
    '%s: R glm coefficients and standard errors',
    (name) => {
      const c = fixture(name);
      const k = c.X[0]!.length + 1;
      const fit = runNewtonIrls(k, (beta) => logisticSufficientStats(c.X, c.y, beta));
      expect(fit.converged).toBe(true);
      fit.coefficients!.forEach((b, j) =>
        expect(Math.abs(b - c.glm.coefficients[j]!)).toBeLessThanOrEqual(
          1e-10 * Math.abs(c.glm.coefficients[j]!) + 1e-12,
        ),
      );
      fit.std_errors!.forEach((s, j) =>
        expect(Math.abs(s - c.glm.std_errors[j]!)).toBeLessThanOrEqual(1e-10 * c.glm.std_errors[j]!),
      );
    },
  );

  it('complete separation (x = 1..6, y = 0,0,0,1,1,1): no estimate', () => {
    const c = fixture('complete separation');
    const fit = runNewtonIrls(c.X[0]!.length + 1, (beta) => logisticSufficientStats(c.X, c.y, beta));
    expect(fit).toMatchObject({ coefficients: null, reason: 'separation', converged: false });
  });

  it('maxIter reached before convergence is reported as separation', () => {
    const c = fixture('clinical four features');
    const fit = runNewtonIrls(5, (beta) => logisticSufficientStats(c.X, c.y, beta), { maxIter: 2 });
    expect(fit).toMatchObject({ reason: 'separation', iterations: 2 });
  });
});
