import { beforeEach, describe, expect, it } from '@jest/globals';
import type { SiteMetricsReport } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  inMemoryCoordinator,
  MemoryTransactions,
  metricsReport,
  seedRound,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import type { Study } from '../domain/records';
import { type RecordedVerdict, VerdictRepository } from '../releases/release.repository';
import { FileMetricsReportStore } from './metrics-report-store';
import type { ReleaseVerdict } from './release-policy';
import { RoundEvaluationService } from './round-evaluation.service';
import { mapRoundMetrics } from '../releases/release.response';

class MemoryVerdicts extends VerdictRepository {
  private readonly all = new Map<string, RecordedVerdict>();
  async save(studyId: string, round: number, verdict: ReleaseVerdict): Promise<RecordedVerdict> {
    const recorded = { studyId, round, verdict, recordedAt: new Date() };
    this.all.set(`${studyId}/${round}`, recorded);
    return recorded;
  }
  async find(studyId: string, round: number): Promise<RecordedVerdict | null> {
    return this.all.get(`${studyId}/${round}`) ?? null;
  }
  async list(studyId: string): Promise<RecordedVerdict[]> {
    return [...this.all.values()].filter((v) => v.studyId === studyId);
  }
}

const dir = temporaryDir('round-evaluation');

// Issue 13: one stored report with a one-point grid made the round's metrics and POST /releases
// answer 500 for ever. Reports are checked again on read, whatever the file holds.
describe('RoundEvaluationService with a stored report that fails the checks', () => {
  let c: InMemoryCoordinator;
  let store: FileMetricsReportStore;
  let evaluation: RoundEvaluationService;
  let study: Study;
  const stored = (siteId: string, report: unknown) => ({
    studyId: study.id,
    round: 1,
    siteId,
    modelVersion: 1,
    modelSha256: 'a'.repeat(64),
    receivedAt: '2026-12-04T10:00:00.000Z',
    report: report as SiteMetricsReport,
  });

  beforeEach(async () => {
    c = inMemoryCoordinator();
    store = new FileMetricsReportStore(fs.mkdtempSync(path.join(dir, 'metrics-')));
    const verdicts = new MemoryVerdicts();
    evaluation = new RoundEvaluationService(
      c.studies,
      c.rounds,
      c.participants,
      c.sites,
      store,
      verdicts,
      new MemoryTransactions({ ...c.unitOfWork, verdicts }),
    );
    ({ study } = await seedRound(c, { sites: ['a', 'b'], state: 'completed' }));
    await store.save(stored('a', metricsReport(0.8)));
    const onePoint = { ...metricsReport(0.9), threshold_counts: { thresholds: [0.5], tp: [8], fp: [3] } };
    await store.save(stored('b', onePoint));
  });

  it('shows the study’s data-disagreement tests, and none (logged) when their file is unreadable', async () => {
    const tests = [{ site_id: 'a', statistic: 23.9, df: 4, p: 8.4e-5, threshold: 0.01, flagged: true }];
    const errors: string[] = [];
    const make = (find: () => Promise<typeof tests | null>) =>
      new RoundEvaluationService(
        c.studies,
        c.rounds,
        c.participants,
        c.sites,
        store,
        new MemoryVerdicts(),
        new MemoryTransactions({ ...c.unitOfWork, verdicts: new MemoryVerdicts() }),
        { error: (_o, msg) => void errors.push(msg) },
        { findDisagreement: find },
      );
    expect((await make(() => Promise.resolve(tests)).get(study.id, 1)).dataDisagreement).toEqual(tests);
    expect((await make(() => Promise.resolve(null)).get(study.id, 1)).dataDisagreement).toEqual([]);
    const broken = make(() => Promise.reject(new SyntaxError('Unexpected token } in JSON at position 7')));
    expect((await broken.get(study.id, 1)).dataDisagreement).toEqual([]);
    expect(errors).toContain('the stored data-disagreement tests are unreadable; none shown');
  });

  it('leaves it out of pooling and the verdict, and shows it with its reason', async () => {
    const e = await evaluation.get(study.id, 1);
    expect(e.sites.map((s) => s.siteId)).toEqual(['a']);
    expect(e.refused).toEqual([
      {
        siteId: 'b',
        name: 'Hospital b',
        receivedAt: '2026-12-04T10:00:00.000Z',
        reason:
          'report.threshold_counts.thresholds[0] is 0.5; expected 0.25 (the bin edge score_histograms.edges[1] = 25 on the grid k/100)',
      },
    ]);
    expect(e.pooled?.n).toBe(25);
    expect(e.verdict?.verdict.sites.map((s) => s.site_id)).toEqual(['a']);
  });

  it("carries each site's screening verdict into the round's metrics (issue 13)", async () => {
    const rejected = {
      verdict: 'rejected' as const,
      reason: 'cosine to the median of the other updates is -0.912, below the reject threshold 0',
      norm: 12.4,
      normZ: 40.1,
      cosine: -0.912,
      cosineZ: -7.5,
      clipBound: 3.6,
      scale: 0,
      weight: 0,
      worstTensor: { name: 'dense/kernel', norm: 9.8, ratioToMedian: 11.2 },
    };
    await c.participants.assign(study.id, 1, ['a', 'b']);
    await c.participants.recordScreening(study.id, 1, new Map([['b', rejected]]));
    const metrics = mapRoundMetrics(await evaluation.get(study.id, 1));
    expect(metrics.screening).toEqual([
      {
        site_id: 'b',
        verdict: 'rejected',
        reason: rejected.reason,
        norm: 12.4,
        norm_z: 40.1,
        cosine: -0.912,
        cosine_z: -7.5,
        clip_bound: 3.6,
        scale: 0,
        weight: 0,
        worst_tensor: { name: 'dense/kernel', norm: 9.8, ratio_to_median: 11.2 },
        // Screened as before tensor groups (no trained-tensor numbers): shown as null.
        trained_norm: null,
        trained_cosine: null,
      },
    ]);
  });

  it('reads past a file that is not JSON at all', async () => {
    const file = path.join((store as unknown as { root: string }).root, study.id, '1', 'c.json');
    fs.writeFileSync(file, '{"siteId": "c", "report": ');
    await expect(evaluation.siteEvaluations(study.id, 1)).resolves.toHaveLength(1);
  });
});

describe('RoundEvaluationService.releaseCandidate (issue 15)', () => {
  let c: InMemoryCoordinator;
  let store: FileMetricsReportStore;
  let evaluation: RoundEvaluationService;
  let study: Study;
  const stored = (round: number, siteId: string, validation?: unknown) => ({
    studyId: study.id,
    round,
    siteId,
    modelVersion: round,
    modelSha256: 'a'.repeat(64),
    receivedAt: '2026-12-04T10:00:00.000Z',
    report: metricsReport(0.8),
    ...(validation === undefined ? {} : { validation: validation as SiteMetricsReport }),
  });

  beforeEach(async () => {
    c = inMemoryCoordinator();
    store = new FileMetricsReportStore(fs.mkdtempSync(path.join(dir, 'candidate-')));
    const verdicts = new MemoryVerdicts();
    evaluation = new RoundEvaluationService(
      c.studies,
      c.rounds,
      c.participants,
      c.sites,
      store,
      verdicts,
      new MemoryTransactions({ ...c.unitOfWork, verdicts }),
    );
    ({ study } = await seedRound(c, {
      sites: ['a'],
      state: 'completed',
      spec: { validation_fraction: 0.2 },
    }));
    for (const [number, state] of [
      [2, 'completed'],
      [3, 'evaluating'],
    ] as const)
      await c.rounds.create({
        studyId: study.id,
        number,
        state,
        attempt: 1,
        deadline: null,
        startedAt: new Date(),
      });
  });

  it('names the completed round with the best pooled validation AUC, not the last, with each round pooled', async () => {
    await store.save(stored(1, 'a', metricsReport(0.76)));
    await store.save(stored(2, 'a', metricsReport(0.71)));
    // Round 3 is still evaluating: never the candidate, whatever its figure.
    await store.save(stored(3, 'a', metricsReport(0.9)));
    const c1 = await evaluation.releaseCandidate(study.id);
    // One site: the pooled AUC is its own released AUC exactly (pooled-auc.ts: within-site pairs).
    expect(c1).toMatchObject({ round: 1, pooled_validation_auc: 0.76, rule: 'best_validation_auc' });
    expect(c1.rounds.map((r) => [r.round, r.pooled_validation_auc, r.n, r.sites])).toEqual([
      [1, 0.76, 25, 1],
      [2, 0.71, 25, 1],
    ]);
    expect((await evaluation.get(study.id, 2)).pooledValidation?.auc).toBe(0.71);
  });

  it('leaves out a stored validation report that fails the checks, and falls back to the last completed round', async () => {
    await store.save(stored(1, 'a', { ...metricsReport(0.76), auc: 3 }));
    await store.save(stored(2, 'a'));
    const c1 = await evaluation.releaseCandidate(study.id);
    expect(c1).toMatchObject({ round: 2, pooled_validation_auc: null, rule: 'last_completed' });
    // The test report of round 1 still counts: only its validation report is left out.
    expect((await evaluation.get(study.id, 1)).sites.map((s) => [s.siteId, s.validation])).toEqual([
      ['a', null],
    ]);
  });
});
