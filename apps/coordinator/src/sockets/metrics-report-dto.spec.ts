import { describe, expect, it } from '@jest/globals';
import type { SiteMetricsReport } from '@fedaln/protocol';
import { metricsReport } from '../../../../tests/medium/coordinator-in-memory';
import { DomainError } from '../domain/domain-error';
import { MetricsReportDto } from './site-dtos';
import { toProtocolError } from './socket-error';
import { validatePayload } from './socket-payload';

const payload = (report: unknown) => ({
  study_id: '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90',
  round: 1,
  model_version: 1,
  model_sha256: 'a'.repeat(64),
  report,
});
/** 25 test cases, 10 positive, on the study's layout, as the site client builds it. */
const REPORT: SiteMetricsReport = Object.freeze(metricsReport(0.8));

async function refusal(report: unknown): Promise<{ code: string; message: string }> {
  const e = await validatePayload(MetricsReportDto, payload(report)).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DomainError);
  return toProtocolError(e);
}

// Issue 13: the summary fields were `@Allow` (kept as sent); each is now typed and range-checked.
describe('MetricsReportDto (metrics:report on the socket edge)', () => {
  it('passes a report the site client builds', async () => {
    await expect(validatePayload(MetricsReportDto, payload({ ...REPORT }))).resolves.toMatchObject({
      report: { n: 25, n_pos: 10, auc: 0.8 },
    });
  });

  it.each<[string, Partial<Record<keyof SiteMetricsReport, unknown>>, RegExp]>([
    ['an AUC above 1', { auc: 1.7 }, /auc must not be greater than 1/],
    ['a negative n', { n: -1 }, /n must not be less than 0/],
    ['n = 1e9', { n: 1e9 }, /n must not be greater than 16777216/],
    ['a Brier score as text', { brier: '0.1' }, /brier must be a number/],
    ['a prevalence of 2', { prevalence: 2 }, /prevalence must not be greater than 1/],
    ['a CI of three numbers', { auc_ci: [0.1, 0.5, 0.9] }, /auc_ci must contain no more than 2 elements/],
    [
      'a Youden sensitivity of 1.5',
      { youden: { threshold: 0.5, sensitivity: 1.5, specificity: 0.5, j: 0 } },
      /sensitivity must not be greater than 1/,
    ],
    ['a negative DeLong variance', { delong_var: -0.01 }, /delong_var must not be less than 0/],
    ['no calibration', { calibration: undefined }, /calibration/],
    [
      'a paired p of 3',
      { paired: { auc_b: 0.7, delong_var_b: 0.01, z: 1, p: 3 } },
      /p must not be greater than 1/,
    ],
    [
      'a fractional tp',
      { threshold_counts: { ...REPORT.threshold_counts, tp: [0.5] } },
      /tp must be an integer number/,
    ],
    [
      '100000 bins',
      { score_histograms: { bins: 100_000, edges: [0, 100_000], positive: [], negative: [] } },
      /bins must not be greater than 100/,
    ],
    [
      'edges as text',
      { score_histograms: { bins: 100, edges: '0-100', positive: [1], negative: [1] } },
      /edges must be an array/,
    ],
  ])('refuses %s with bad_request, naming the field', async (_, edit, message) => {
    const r = await refusal({ ...REPORT, ...edit });
    expect(r.code).toBe('bad_request');
    expect(r.message).toMatch(message);
  });
});
