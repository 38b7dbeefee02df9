import { describe, expect, it } from '@jest/globals';
import {
  COMBINED_MODEL_TERMS,
  combinedRows,
  fitLogistic,
  logisticSufficientStats,
  nomogramProblem,
  plattRows,
  pooledModelComparison,
  recalibrationByClosedTest,
  siteModelComparison,
  type CovariateRows,
} from '@fedaln/metrics';
import type { NomogramCompareRequest, NomogramStatsRequest, StudyFinishedPayload } from '@fedaln/protocol';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import * as fs from 'node:fs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { join } from 'node:path';
import { temporaryDir } from '../../../../tests/medium/coordinator-in-memory';
import { SitePresence } from '../rounds/site-presence';
import { COMPARISON_METHOD, type NomogramCompareCall } from './model-comparison-phase';
import { NomogramFits, NomogramStore, type NomogramStatsCall } from './nomogram-fits';

// The validation cases of three sites: the 260 cases of the "clinical four features" fixture
// (libs/metrics/fixtures/logistic.json) with a seeded DL score that tracks the label. Reference: the
// pooled fit of the same designs by fitLogistic (itself checked against R glm in logistic.spec.ts).
const clinical = (
  JSON.parse(readFileSync(join(__dirname, '../../../../libs/metrics/fixtures/logistic.json'), 'utf8')) as {
    name: string;
    X: number[][];
    y: number[];
  }[]
).find((c) => c.name === 'clinical four features')!;
const rng = Xoshiro128StarStar.fromSeed(15);
const dl = clinical.y.map((y) => 1 / (1 + Math.exp(-(1.5 * y - 0.7 + 3 * (rng.nextFloat() - 0.5)))));
const SITES = Object.freeze({ a: [0, 100], b: [100, 200], c: [200, 260] } as const);
type SiteName = keyof typeof SITES;

/** A site as the client answers (validation-scores.ts), from its slice; c has no feature columns. */
function siteCall(name: SiteName, asked: NomogramStatsRequest[]): NomogramStatsCall {
  const [from, to] = SITES[name];
  return async (req) => {
    asked.push(req);
    if (req.round !== 2)
      return { ok: true, stats: null, reason: `no validation scores of round ${req.round}` };
    if (req.model === 'combined' && name === 'c')
      return { ok: true, stats: null, reason: 'no feature columns' };
    const p = dl.slice(from, to);
    const rows: CovariateRows =
      req.model === 'platt' ? plattRows(p) : combinedRows(p, clinical.X.slice(from, to));
    const s = logisticSufficientStats(rows, clinical.y.slice(from, to), req.beta);
    return {
      ok: true,
      stats: { ...s, information: Array.from(s.information), score: Array.from(s.score) },
    };
  };
}

// The sites' test splits for the comparison: sites a and b of libs/metrics/fixtures/comparison.json
// (make_comparison_fixtures.R); its pooling is checked against pROC in model-comparison.spec.ts.
const comparisonFixture = (
  JSON.parse(readFileSync(join(__dirname, '../../../../libs/metrics/fixtures/comparison.json'), 'utf8')) as {
    sites: { name: string; labels: number[]; dl: number[]; features: number[]; combined: number[] }[];
  }
).sites;
const testComparison = (name: 'a' | 'b' | 'small') => {
  const s = comparisonFixture.find((x) => x.name === name)!;
  return siteModelComparison(s.labels, { dl: s.dl, features: s.features, combined: s.combined }, 2);
};
const FEATURE_MODEL = [-3, 0.1, 0.5, 0.6, 0.7];

/** A site's `nomogram:compare` answer: a and b their fixture figures, c none, the "small" site's under k. */
function compareCall(name: SiteName, asked: NomogramCompareRequest[]): NomogramCompareCall {
  return async (req) => {
    asked.push(req);
    if (name === 'c') return { ok: true, comparison: testComparison('small') }; // 4 positives: k = 5 refuses it
    return { ok: true, comparison: testComparison(name) };
  };
}

describe('NomogramFits (the post-training phase, issue 15)', () => {
  const dir = temporaryDir('nomogram-fits');
  const log = { info: () => undefined };

  /** The sites' accepted test reports of round 2, as the comparison's own figures give them. */
  const reportOf = (name: 'a' | 'b') => {
    const c = testComparison(name);
    return { siteId: name, report: { n: c.n, n_pos: c.n_pos, auc: c.auc![0]! } };
  };

  function setUp(candidateRound = 2, reports = [reportOf('a'), reportOf('b')]) {
    const presence = new SitePresence();
    const asked: NomogramStatsRequest[] = [];
    const compared: NomogramCompareRequest[] = [];
    const told: [string, StudyFinishedPayload][] = [];
    for (const name of ['a', 'b', 'c', 'old'] as const)
      presence.connect({
        siteId: name,
        hello: { engine: 'cpu' } as never,
        send: () => undefined,
        // 'old' is a client of before issue 15: no nomogram:stats, but it is told the study is finished.
        ...(name === 'old'
          ? {}
          : { nomogramStats: siteCall(name, asked), nomogramCompare: compareCall(name, compared) }),
        studyFinished: (p) => told.push([name, p]),
      });
    const store = new NomogramStore(dir);
    const fits = new NomogramFits(
      {
        releaseCandidate: async () => ({ round: candidateRound, reason: 'best pooled validation AUC' }),
        siteEvaluations: async () => reports,
      },
      { find: async (_s, version) => ({ sha256: `sha of v${version}` }) as never },
      presence,
      store,
      { find: async () => ({ coefficients: FEATURE_MODEL }) },
      log,
    );
    return { fits, store, asked, compared, told };
  }

  it("fits the recalibration over every site's validation cases and the combined model over those with the features, as the pooled fits", async () => {
    const { fits, store, asked, told } = setUp();
    const n = await fits.finish('study-1', ['a', 'b', 'c', 'old'], true, 5);
    // The recalibration the closed test chooses on the pooled rows (model-updating.spec.ts checks it
    // against R glm); here the seeded score is miscalibrated enough that Platt's is chosen.
    const pooled = await recalibrationByClosedTest((beta) => [
      logisticSufficientStats(plattRows(dl), clinical.y, beta),
    ]);
    expect(pooled!.method).toBe('logistic');
    const platt = fitLogistic(plattRows(dl), clinical.y);
    n!.platt.coefficients.forEach((b, i) => expect(b).toBeCloseTo(platt.coefficients![i]!, 8));
    expect(n!.updating!.recalibration.method).toBe('logistic');
    expect(n!.updating!.recalibration.tests.logistic_vs_original.statistic).toBeCloseTo(
      pooled!.tests.logistic_vs_original.statistic,
      6,
    );
    // The combined model: the study's four-feature model extended by the DL logit, i.e.
    // glm(y ~ logit p, offset = the feature model's linear predictor) on sites a and b.
    const lp = clinical.X.slice(0, 200).map((x) =>
      x.reduce((s, v, j) => s + v * FEATURE_MODEL[j + 1]!, FEATURE_MODEL[0]!),
    );
    const extension = fitLogistic(plattRows(dl.slice(0, 200)), clinical.y.slice(0, 200), { offset: lp });
    const [a, c] = extension.coefficients!;
    const combined = [FEATURE_MODEL[0]! + a!, c!, ...FEATURE_MODEL.slice(1)];
    n!.combined!.coefficients.forEach((b, i) => expect(b).toBeCloseTo(combined[i]!, 8));
    expect(n!.combined!.std_errors.slice(2)).toEqual([0, 0, 0, 0]);
    expect(n!.combined!.p.slice(2)).toEqual([1, 1, 1, 1]);
    expect(n!.updating!.combined).toBe('extension');
    expect(nomogramProblem(n)).toBeNull();
    expect(n).toMatchObject({
      format: 'fedaln-nomogram/1',
      round: 2,
      model_sha256: 'sha of v2',
      fitted_on: { platt: ['a', 'b', 'c'], combined: ['a', 'b'] },
    });
    expect(n!.combined!.covariates).toEqual([...COMBINED_MODEL_TERMS]);
    expect(await store.find('study-1', 2)).toEqual(n);
    // Every request is about the candidate round; then every connected site is told, old clients too.
    expect(new Set(asked.map((r) => r.round))).toEqual(new Set([2]));
    expect(told).toEqual(
      ['a', 'b', 'c', 'old'].map((s) => [s, { study_id: 'study-1', nomogram: true, round: 2 }]),
    );
    // Marked over (post-training.json): a restart does not run it again (PostTrainingResume).
    expect(await store.finished('study-1')).toBe(true);
    // With none of its sites connected nothing is fitted, nor marked: a restart will try again.
    expect(await fits.finish('study-6', ['gone'], true, 5)).toBeNull();
    expect(await store.finished('study-6')).toBe(false);
  });

  it('fits nothing for a study without a validation split, and still tells the sites', async () => {
    const { fits, asked, told } = setUp();
    expect(await fits.finish('study-2', ['a', 'b'], false)).toBeNull();
    expect(asked).toEqual([]);
    expect(told).toEqual(['a', 'b'].map((s) => [s, { study_id: 'study-2', nomogram: false, round: null }]));
  });

  it('skips the nomogram, without throwing, when no site kept the round’s validation scores', async () => {
    const { fits, store, told } = setUp(3);
    expect(await fits.finish('study-3', ['a', 'b', 'c'], true)).toBeNull();
    expect(await store.find('study-3', 3)).toBeNull();
    expect(told.map(([, p]) => p.nomogram)).toEqual([false, false, false]);
  });

  it('then compares DL, features and combined on the sites’ test splits, pooling the accepted answers; a site breaking the privacy rule is left out', async () => {
    const { fits, store, compared } = setUp();
    const n = await fits.finish('study-4', ['a', 'b', 'c', 'old'], true, 5);
    expect(compared.map((r) => r.min_cell_count)).toEqual([5, 5, 5]);
    expect(compared[0]).toMatchObject({
      study_id: 'study-4',
      round: 2,
      feature_model: FEATURE_MODEL,
      combined: n!.combined!.coefficients,
    });
    const record = await store.comparison('study-4', 2);
    expect(record).toMatchObject({
      study_id: 'study-4',
      round: 2,
      model_sha256: 'sha of v2',
      method: COMPARISON_METHOD,
    });
    expect(record!.sites.map((s) => s.site_id)).toEqual(['a', 'b']);
    expect(record!.left_out).toEqual([
      {
        site_id: 'c',
        reason: expect.stringMatching(
          /^refused: auc is .* with n_pos = 4 and n − n_pos = 30; the privacy rule withholds/,
        ),
      },
    ]);
    expect(record!.pooled).toEqual(pooledModelComparison([testComparison('a'), testComparison('b')]));
    expect(record!.pooled!.sites).toBe(2);
  });

  it('refuses a comparison that contradicts the site’s own test report of the round (other cases or another model)', async () => {
    const b = reportOf('b');
    const { fits, store } = setUp(2, [
      reportOf('a'),
      { ...b, report: { ...b.report, auc: b.report.auc + 0.01 } },
    ]);
    await fits.finish('study-7', ['a', 'b'], true, 5);
    const record = await store.comparison('study-7', 2);
    expect(record!.sites.map((s) => s.site_id)).toEqual(['a']);
    expect(record!.left_out).toEqual([
      {
        site_id: 'b',
        reason: expect.stringMatching(
          /^refused: DL AUC .* in the comparison, but .* in the site's round-2 test report/,
        ),
      },
    ]);
    const { fits: f2, store: s2 } = setUp(2, [reportOf('a')]);
    await f2.finish('study-8', ['a', 'b'], true, 5);
    expect((await s2.comparison('study-8', 2))!.left_out[0]!.reason).toBe(
      'refused: the site has no accepted test report of round 2 to compare against',
    );
  });

  it('leaves out a site whose answer is not an answer (null, a string comparison), without losing the others', async () => {
    const presence = new SitePresence();
    const store = new NomogramStore(dir);
    const odd: Record<string, NomogramCompareCall> = {
      a: compareCall('a', []),
      b: compareCall('b', []),
      c: async () => null as never,
      d: async () => ({ ok: true, comparison: 'x' as never }),
    };
    for (const name of ['a', 'b', 'c', 'd'])
      presence.connect({
        siteId: name,
        hello: { engine: 'cpu' } as never,
        send: () => undefined,
        nomogramStats: siteCall(name === 'd' ? 'c' : (name as SiteName), []),
        nomogramCompare: odd[name]!,
      });
    const fits = new NomogramFits(
      {
        releaseCandidate: async () => ({ round: 2, reason: 'best pooled validation AUC' }),
        siteEvaluations: async () => [reportOf('a'), reportOf('b')],
      },
      { find: async () => ({ sha256: 'sha of v2' }) as never },
      presence,
      store,
      { find: async () => ({ coefficients: FEATURE_MODEL }) },
      log,
    );
    expect(await fits.finish('study-9', ['a', 'b', 'c', 'd'], true, 5)).not.toBeNull();
    const record = await store.comparison('study-9', 2);
    expect(record!.sites.map((s) => s.site_id)).toEqual(['a', 'b']);
    expect(record!.left_out).toEqual([
      { site_id: 'c', reason: 'refused: the answer is null; expected an object' },
      { site_id: 'd', reason: 'refused: comparison is "x"; expected an object' },
    ]);
  });

  it('after a restart keeps a stored nomogram of the candidate’s model (no refit) and runs the missing comparison', async () => {
    const first = setUp();
    const n = await first.fits.finish('study-5', ['a', 'b', 'c'], true, 5);
    const text = await first.store.text('study-5', 2);
    await fs.promises.rm(path.join(dir, 'study-5', 'comparison-r2.json'));
    const again = setUp(); // a new process: the same data directory
    expect(await again.fits.finish('study-5', ['a', 'b', 'c'], true, 5)).toEqual(n);
    expect(again.asked).toEqual([]);
    expect(await again.store.text('study-5', 2)).toBe(text);
    expect((await again.store.comparison('study-5', 2))?.sites.map((s) => s.site_id)).toEqual(['a', 'b']);
    // With both stored, nothing is asked again.
    const third = setUp();
    await third.fits.finish('study-5', ['a', 'b', 'c'], true, 5);
    expect([third.asked, third.compared]).toEqual([[], []]);
  });
});
