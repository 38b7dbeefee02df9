import { describe, expect, it } from '@jest/globals';
import { HelloDto, MetricsReportDto, UploadBeginDto } from './site-dtos';
import { DomainError } from '../domain/domain-error';
import { toProtocolError } from './socket-error';
import { validatePayload } from './socket-payload';
import { HELLO } from '../../../../tests/e2e/support/site-client';

/** A valid hello as a site client sends it (tests/e2e/support). */
const hello = { ...HELLO };

/** The error the pipe throws, as the socket exception filter acks it. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DomainError);
  expect((e as DomainError).code).toBe('INVALID_INPUT');
  return toProtocolError(e);
}

describe("validatePayload (the socket edge's validation)", () => {
  it('passes a valid hello through as its DTO', async () => {
    const dto = await validatePayload(HelloDto, hello);
    expect(dto).toBeInstanceOf(HelloDto);
    expect(dto).toMatchObject(hello);
  });

  it('accepts hello with or without clinical_features, and only a boolean there', async () => {
    expect((await validatePayload(HelloDto, { ...hello, clinical_features: true })).clinical_features).toBe(
      true,
    );
    const e = await refusal(validatePayload(HelloDto, { ...hello, clinical_features: 'yes' }));
    expect(e.message).toMatch(/clinical_features must be a boolean value/);
  });

  it('accepts hello with or without secagg_prgs, names it does not know too (a newer client), and only a short list of strings', async () => {
    const prgs = ['aes-256-ctr', 'aes-128-ctr', 'a-future-prg'];
    expect((await validatePayload(HelloDto, { ...hello, secagg_prgs: prgs })).secagg_prgs).toEqual(prgs);
    for (const bad of [
      'aes-128-ctr',
      [1],
      Array.from({ length: 9 }, () => 'aes-128-ctr'),
      ['x'.repeat(33)],
    ]) {
      const e = await refusal(validatePayload(HelloDto, { ...hello, secagg_prgs: bad }));
      expect(e.message).toMatch(/secagg_prgs/);
    }
  });

  it('refuses a bad field with bad_request naming it', async () => {
    const e = await refusal(validatePayload(HelloDto, { ...hello, engine: 'cuda', cores: 0 }));
    expect(e.code).toBe('bad_request');
    expect(e.message).toMatch(/engine must be one of the following values/);
    expect(e.message).toMatch(/cores must not be less than 1/);
  });

  it('refuses fields the contract does not have', async () => {
    const e = await refusal(validatePayload(HelloDto, { ...hello, site_id: 'someone-else' }));
    expect(e.message).toContain('property site_id should not exist');
  });

  it('refuses a malformed sha256 and a non-object payload', async () => {
    const begin = {
      study_id: '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90',
      round: 1,
      sha256: 'ABC',
      bytes: 10,
      n_train: 5,
    };
    expect((await refusal(validatePayload(UploadBeginDto, begin))).message).toContain(
      'sha256 must be 64 lowercase hex digits',
    );
    expect((await refusal(validatePayload(UploadBeginDto, 'hello'))).code).toBe('bad_request');
  });

  it('checks the counts a metrics report carries, naming the nested field', async () => {
    const report = {
      study_id: '8f14e45f-ceea-467f-a0e6-1b5c6d7e8f90',
      round: 1,
      model_version: 1,
      model_sha256: 'a'.repeat(64),
      report: {
        n: 25,
        n_pos: 10,
        prevalence: 0.4,
        auc: 0.8,
        delong_var: 0.004,
        auc_ci: [0.68, 0.92],
        paired: null,
        youden: null,
        brier: 0.17,
        calibration: { intercept: 0, slope: 1, intercept_joint: 0 },
        dca: null,
        threshold_counts: { thresholds: [0.5], tp: [-1], fp: [2] },
        score_histograms: { bins: 2, edges: [0, 1, 2], positive: [1, 2], negative: [3, 4] },
      },
    };
    const e = await refusal(validatePayload(MetricsReportDto, report));
    expect(e.message).toBe('report.threshold_counts.tp: each value in tp must not be less than 0');
    report.report.threshold_counts.tp = [1];
    await expect(validatePayload(MetricsReportDto, report)).resolves.toBeInstanceOf(MetricsReportDto);
  });
});
