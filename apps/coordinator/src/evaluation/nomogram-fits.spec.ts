import { describe, expect, it } from '@jest/globals';
import {
  COMBINED_MODEL_TERMS,
  combinedRows,
  fitLogistic,
  logisticSufficientStats,
  plattRows,
  type CovariateRows,
} from '@fedaln/metrics';
import type { NomogramStatsRequest, StudyFinishedPayload } from '@fedaln/protocol';
import { Xoshiro128StarStar } from '@fedaln/site-data';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryDir } from '../../../../tests/medium/coordinator-in-memory';
import { SitePresence } from '../rounds/site-presence';
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

describe('NomogramFits (the post-training phase, issue 15)', () => {
  const dir = temporaryDir('nomogram-fits');
  const log = { info: () => undefined };

  function setUp(candidateRound = 2) {
    const presence = new SitePresence();
    const asked: NomogramStatsRequest[] = [];
    const told: [string, StudyFinishedPayload][] = [];
    for (const name of ['a', 'b', 'c', 'old'] as const)
      presence.connect({
        siteId: name,
        hello: { engine: 'cpu' } as never,
        send: () => undefined,
        // 'old' is a client of before issue 15: no nomogram:stats, but it is told the study is finished.
        ...(name === 'old' ? {} : { nomogramStats: siteCall(name, asked) }),
        studyFinished: (p) => told.push([name, p]),
      });
    const store = new NomogramStore(dir);
    const fits = new NomogramFits(
      { releaseCandidate: async () => ({ round: candidateRound, reason: 'best pooled validation AUC' }) },
      { find: async (_s, version) => ({ sha256: `sha of v${version}` }) as never },
      presence,
      store,
      log,
    );
    return { fits, store, asked, told };
  }

  it("fits Platt over every site's validation cases and the combined model over those with the features, as the pooled fit", async () => {
    const { fits, store, asked, told } = setUp();
    const n = await fits.finish('study-1', ['a', 'b', 'c', 'old'], true);
    const platt = fitLogistic(plattRows(dl), clinical.y);
    const combined = fitLogistic(
      combinedRows(dl.slice(0, 200), clinical.X.slice(0, 200)),
      clinical.y.slice(0, 200),
    );
    n!.platt.coefficients.forEach((b, i) => expect(b).toBeCloseTo(platt.coefficients![i]!, 8));
    n!.combined!.coefficients.forEach((b, i) => expect(b).toBeCloseTo(combined.coefficients![i]!, 8));
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
});
