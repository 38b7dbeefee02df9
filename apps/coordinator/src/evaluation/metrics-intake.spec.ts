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
import { MetricsIntake } from './metrics-intake';

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
});
