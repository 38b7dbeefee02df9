import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { MetricsReportPayload } from '@fedaln/protocol';
import {
  inMemoryCoordinator,
  metricsReport,
  outsideCurrentRound,
  type Refusal,
  seedRound,
  sha256Hex,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { Round, Study } from '../domain/records';
import { MetricsIntake, REFUSED_REPORT_AUDIT_RATE } from './metrics-intake';

describe('MetricsIntake', () => {
  let c: InMemoryCoordinator;
  let intake: MetricsIntake;
  let study: Study;
  let round: Round;

  beforeEach(async () => {
    c = inMemoryCoordinator();
    intake = new MetricsIntake(
      c.studies,
      c.rounds,
      c.participants,
      c.models,
      c.reports,
      c.service,
      c.monitor,
      c.sites,
      c.audit,
    );
    // Round 1 evaluates version 1; a and b uploaded, c missed the training deadline.
    ({ study, round } = await seedRound(c, {
      sites: ['a', 'b', 'c'],
      state: 'evaluating',
      participants: { a: 'uploaded', b: 'uploaded', c: 'straggler' },
    }));
    for (const version of [0, 1]) {
      await c.models.add({
        studyId: study.id,
        version,
        roundNumber: version || null,
        sha256: sha256Hex(`v${version}`),
        bytes: 10,
      });
    }
  });

  const payload = (auc: number | null = 0.8): MetricsReportPayload => ({
    study_id: study.id,
    round: 1,
    model_version: 1,
    model_sha256: sha256Hex('v1'),
    report: metricsReport(auc),
  });
  const stateNow = async () => (await c.rounds.find(study.id, 1))?.state;

  it('stores a report (a later one of the same site replaces it) and tells the dashboard', async () => {
    await intake.report('a', payload(0.7));
    await intake.report('a', payload(0.8));
    const stored = await c.reports.list(study.id, 1);
    expect(stored.map((r) => [r.siteId, r.modelVersion, r.report.auc])).toEqual([['a', 1, 0.8]]);
    expect(c.monitor.told.map((m) => m.event)).toEqual([
      { study_id: study.id, round: 1, site_id: 'a', n: 25, auc: 0.7 },
      { study_id: study.id, round: 1, site_id: 'a', n: 25, auc: 0.8 },
    ]);
    expect(await stateNow()).toBe('evaluating'); // b has not reported yet
  });

  it('shows a report without an AUC (one class only) as NaN on the dashboard', async () => {
    await intake.report('a', payload(null));
    expect(c.monitor.told).toMatchObject([{ kind: 'metricsReceived', event: { auc: NaN } }]);
  });

  // A site reports only in its study, for the current round while it evaluates, on that round's
  // model (version r, by its sha256): current-round.ts and metrics-intake.ts.
  it.each<Refusal<MetricsReportPayload>>([
    ...outsideCurrentRound<MetricsReportPayload>('d'),
    [
      'the model it trained from',
      'a',
      'INVALID_INPUT',
      (p) => ({ ...p, model_version: 0, model_sha256: sha256Hex('v0') }),
    ],
    ['a sha256 of another model', 'a', 'INVALID_INPUT', (p) => ({ ...p, model_sha256: sha256Hex('v0') })],
  ])('refuses a report from %s (site %s) with %s', async (_what, siteId, code, edit) => {
    await expect(intake.report(siteId, edit(payload()))).rejects.toMatchObject({ code });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
    expect(c.monitor.told).toEqual([]);
  });

  it('refuses a report of a site whose update the round did not count (the straggler c)', async () => {
    await expect(intake.report('c', payload())).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message:
        'round 1 counted no update of this site (straggler); only sites that uploaded in a round report on its model',
    });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
  });

  // Issue 13: a one-point grid, n = 1e9 or a typed-only summary left a round without a verdict.
  const report = metricsReport(0.8);
  it.each<[string, (r: typeof report) => unknown, string]>([
    [
      'a one-point threshold grid',
      (r) => ({ ...r, threshold_counts: { thresholds: [0.5], tp: [8], fp: [3] } }),
      'report.threshold_counts.thresholds[0] is 0.5; expected 0.25 (the bin edge score_histograms.edges[1] = 25 on the grid k/100)',
    ],
    [
      '10 histogram bins',
      (r) => ({ ...r, score_histograms: { bins: 10, edges: [0, 10], positive: [10], negative: [15] } }),
      'report.score_histograms.bins is 10; expected 100',
    ],
    ['an AUC of 1.7', (r) => ({ ...r, auc: 1.7 }), 'report.auc is 1.7; expected a number in [0, 1]'],
    [
      'a Brier score as text',
      (r) => ({ ...r, brier: '0.1' }),
      'report.brier is "0.1"; expected a number in [0, 1]',
    ],
    [
      'n = 1e9',
      (r) => ({ ...r, n: 1e9 }),
      'report.score_histograms.negative holds 15 cases; expected n − n_pos = 999999990',
    ],
  ])('refuses %s, audit-logged with the reason, and stores nothing', async (_what, edit, reason) => {
    const bad = { ...payload(), report: edit(report) } as MetricsReportPayload;
    await expect(intake.report('a', bad)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(
        `metrics report refused: ${reason}; send the report the FedALN site client builds`,
      ),
    });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
    expect(c.monitor.told).toEqual([]);
    expect(await c.audit.list('study', study.id)).toMatchObject([
      {
        actor: 'site:a',
        action: 'metrics.report_refused',
        details: { round: 1, reason: expect.stringContaining(reason) },
      },
    ]);
  });

  it('audit-logs a burst of refusals per site, then at the audit rate; every bad report is still refused', async () => {
    const bad = { ...payload(), report: { ...metricsReport(0.8), auc: 2 } };
    for (let i = 0; i < REFUSED_REPORT_AUDIT_RATE.limit + 5; i++)
      await expect(intake.report('a', bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const rows = (await c.audit.list('study', study.id)).filter((e) => e.action === 'metrics.report_refused');
    expect(rows).toHaveLength(REFUSED_REPORT_AUDIT_RATE.limit);
  });

  it('refuses a report whose n is not the test size the lead approved, naming both and the fix', async () => {
    await c.sites.approveCases('a', { nTrain: 100, nTest: 30 });
    await expect(intake.report('a', payload())).rejects.toMatchObject({
      message:
        'metrics report refused: report.n is 25; expected the 30 test cases approved for this site; ask the lead to approve your counts on the dashboard',
    });
    c.sites.put('b'); // no approved counts
    await expect(intake.report('b', payload())).rejects.toMatchObject({
      message: expect.stringContaining('report.n is 25 but this site has no approved test count'),
    });
  });

  it('a refused report never blocks the round: the other sites still end the evaluation', async () => {
    await expect(intake.report('b', { ...payload(), report: { ...report, auc: 2 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await intake.report('b', payload());
    await intake.report('a', payload());
    expect(await stateNow()).toBe('completed');
  });

  it('refuses a report while the round is not evaluating', async () => {
    await c.rounds.update(round.id, { state: 'aggregating' });
    await expect(intake.report('a', payload())).rejects.toMatchObject({ code: 'ROUND_NOT_CURRENT' });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
  });

  it('the last expected report ends the evaluation exactly once, even when reports arrive together', async () => {
    const done = jest.spyOn(c.service, 'evaluationDone');
    // Expected: the sites that uploaded (a, b); the straggler c is not waited for. Every report
    // of a and b may be the one that completes the set, and a repeats itself.
    const sent = await Promise.allSettled(['a', 'b', 'a', 'b'].map((site) => intake.report(site, payload())));
    expect(sent.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(done).toHaveBeenCalledTimes(1);
    expect(done).toHaveBeenCalledWith(study.id, 1);
    expect(await stateNow()).toBe('completed');
  });

  it('does not end the evaluation before every site that uploaded has reported', async () => {
    const done = jest.spyOn(c.service, 'evaluationDone');
    await intake.report('b', payload());
    expect(done).not.toHaveBeenCalled();
    await intake.report('a', payload());
    expect(done).toHaveBeenCalledTimes(1);
  });

  it('refuses a validation report in a study that holds out no validation split (before issue 15)', async () => {
    await expect(intake.report('a', { ...payload(), validation: metricsReport(0.7) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message:
        'metrics report refused: validation is given, but this study holds out no validation split (validation_fraction 0); leave it out',
    });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
  });
});

describe('MetricsIntake, a study with a validation split (issue 15)', () => {
  let c: InMemoryCoordinator;
  let intake: MetricsIntake;
  let study: Study;

  beforeEach(async () => {
    c = inMemoryCoordinator();
    intake = new MetricsIntake(
      c.studies,
      c.rounds,
      c.participants,
      c.models,
      c.reports,
      c.service,
      c.monitor,
      c.sites,
      c.audit,
    );
    ({ study } = await seedRound(c, {
      sites: ['a', 'b'],
      state: 'evaluating',
      participants: { a: 'uploaded', b: 'uploaded' },
      spec: { validation_fraction: 0.2 },
    }));
    await c.models.add({ studyId: study.id, version: 1, roundNumber: 1, sha256: sha256Hex('v1'), bytes: 10 });
  });

  const payload = (validation?: unknown): MetricsReportPayload =>
    ({
      study_id: study.id,
      round: 1,
      model_version: 1,
      model_sha256: sha256Hex('v1'),
      report: metricsReport(0.8),
      ...(validation === undefined ? {} : { validation }),
    }) as MetricsReportPayload;

  it('stores the validation report beside the test report; a report without one (an older client) is taken', async () => {
    await intake.report('a', payload(metricsReport(0.7)));
    await intake.report('b', payload());
    const stored = await c.reports.list(study.id, 1);
    expect(stored.map((r) => [r.siteId, r.report.auc, r.validation?.auc ?? null])).toEqual([
      ['a', 0.8, 0.7],
      ['b', 0.8, null],
    ]);
  });

  it.each<[string, (r: ReturnType<typeof metricsReport>) => unknown, string]>([
    ['an AUC of 1.7', (r) => ({ ...r, auc: 1.7 }), 'validation.auc is 1.7; expected a number in [0, 1]'],
    [
      'a histogram count under k',
      // 4 positives in their own bin: the privacy rule releases 0 or ≥ k = 5 cases of a class per bin.
      (r) => ({
        ...r,
        score_histograms: { bins: 100, edges: [0, 50, 100], positive: [4, 6], negative: [15, 0] },
        threshold_counts: { thresholds: [0.5], tp: [6], fp: [0] },
      }),
      'validation.score_histograms.positive[0] is 4 cases',
    ],
  ])('refuses a validation report with %s, naming the validation field', async (_what, edit, reason) => {
    await expect(intake.report('a', payload(edit(metricsReport(0.7))))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`metrics report refused: ${reason}`),
    });
    expect(await c.reports.list(study.id, 1)).toEqual([]);
    expect(await c.audit.list('study', study.id)).toMatchObject([
      { action: 'metrics.report_refused', details: { reason: expect.stringContaining(reason) } },
    ]);
  });

  it('refuses a validation report of more cases than the train cases approved for the site', async () => {
    await c.sites.approveCases('a', { nTrain: 20, nTest: 25 });
    await expect(intake.report('a', payload(metricsReport(0.7)))).rejects.toMatchObject({
      message:
        'metrics report refused: validation.n is 25; expected at most the 20 train cases approved for this site (the validation split is held out from them)',
    });
  });
});
