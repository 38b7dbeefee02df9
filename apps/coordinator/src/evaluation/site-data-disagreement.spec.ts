import { describe, expect, it } from '@jest/globals';
import { fitLogistic, logisticSufficientStats, stepDownSiteScoreTests } from '@fedaln/metrics';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HELLO } from '../../../../tests/e2e/support/site-client';
import type { AuditEntry } from '../domain/records';
import { SitePresence } from '../rounds/site-presence';
import { FeatureBaselines } from './feature-baselines';
import { FeatureModelStore, fitStudyFeatures } from './feature-model';
import { DATA_DISAGREEMENT_ALPHA, siteDataDisagreement } from './site-data-disagreement';
import { answeringFeatureStats } from '../../../../tests/support/feature-stats-answer';

/**
 * Five sites of 120 train cases [size_mm, non-parallel, halo, spiculation] whose outcome follows one
 * logistic model with a per-site baseline shift (as the phantom's sites: its `logitOffset`), from a
 * seeded Park–Miller generator; `shuffled` sites have their labels permuted.
 */
function federation(shuffled: readonly number[]): { X: number[][]; y: number[] }[] {
  let s = 2026;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return [0, 1, 2, 3, 4].map((site) => {
    const X = Array.from({ length: 120 }, () => [
      8 + 25 * u(),
      u() < 0.4 ? 1 : 0,
      u() < 0.3 ? 1 : 0,
      u() < 0.25 ? 1 : 0,
    ]);
    const y: number[] = X.map(([size, np, halo, spic]) => {
      const eta = -3 + 0.09 * size! + 1.1 * np! + 0.9 * halo! + 1.3 * spic! + 0.25 * (site - 2);
      return u() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    });
    if (shuffled.includes(site))
      for (let i = y.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [y[i], y[j]] = [y[j]!, y[i]!];
      }
    return { X, y };
  });
}

const statsAtPooledFit = (sites: { X: number[][]; y: number[] }[]) => {
  const fit = fitLogistic(
    sites.flatMap((x) => x.X),
    sites.flatMap((x) => x.y),
  );
  return sites.map((x, i) => [`site${i + 1}`, logisticSufficientStats(x.X, x.y, fit.coefficients!)] as const);
};

describe('siteDataDisagreement', () => {
  it('flags the site with shuffled labels and no honest one, at α / K with the intercept free', () => {
    const tests = siteDataDisagreement(statsAtPooledFit(federation([4])));
    expect(tests.map((t) => t.flagged)).toEqual([false, false, false, false, true]);
    expect(tests[0]!.threshold).toBe(DATA_DISAGREEMENT_ALPHA / 5);
    // the numbers are stepDownSiteScoreTests' with the intercept free (4 slopes tested) at α / K
    const reference = stepDownSiteScoreTests(
      statsAtPooledFit(federation([4])).map(([, st]) => st),
      DATA_DISAGREEMENT_ALPHA / 5,
      { free: [0] },
    );
    tests.forEach((t, i) => expect(t).toMatchObject({ ...reference[i], df: 4 }));
  });

  it('flags no site of the honest federation', () => {
    expect(siteDataDisagreement(statsAtPooledFit(federation([]))).filter((t) => t.flagged)).toEqual([]);
  });

  it('tests nothing with fewer than 3 sites (with two, neither can be told to be the odd one)', () => {
    expect(siteDataDisagreement(statsAtPooledFit(federation([1]).slice(0, 2)))).toEqual([]);
  });
});

describe('FeatureBaselines with the data-disagreement test', () => {
  it('fits across the sites, stores each site’s test and audit-logs the flagged site', async () => {
    const sites = federation([4]);
    const presence = new SitePresence();
    sites.forEach((site, i) =>
      presence.connect({
        siteId: `site${i + 1}`,
        send: () => undefined,
        hello: { ...HELLO, clinical_features: true },
        featureStats: answeringFeatureStats(site),
      }),
    );
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-disagreement-'));
    const store = new FeatureModelStore(root);
    const audit: AuditEntry[] = [];
    const baselines = new FeatureBaselines(
      store,
      presence,
      { info: () => undefined },
      {
        append: (e) => Promise.resolve(void audit.push(e)),
      },
    );
    expect(await baselines.disagreement('study')).toEqual([]);
    await baselines.ensure('study', ['site1', 'site2', 'site3', 'site4', 'site5']);

    const stored = await baselines.disagreement('study');
    // Reference: the test on the sites' statistics at the pooled fit of their rows (fitLogistic).
    const expected = siteDataDisagreement(statsAtPooledFit(sites));
    expect(stored.map((t) => t.flagged)).toEqual([false, false, false, false, true]);
    stored.forEach((t, i) => {
      expect(t.site_id).toBe(`site${i + 1}`);
      expect(t.statistic!).toBeCloseTo(expected[i]!.statistic!, 6);
    });
    expect(audit).toEqual([
      {
        actor: 'system',
        action: 'site.data_disagreement',
        subjectType: 'site',
        subjectId: 'site5',
        details: {
          study_id: 'study',
          statistic: stored[4]!.statistic,
          df: 4,
          p: stored[4]!.p,
          threshold: DATA_DISAGREEMENT_ALPHA / 5,
        },
      },
    ]);
    expect(fs.readdirSync(path.join(root, 'study')).sort()).toEqual([
      'feature-model.json',
      'site-disagreement.json',
    ]);
    // fitted once: a second ensure neither refits nor logs again
    await baselines.ensure('study', ['site1', 'site2', 'site3', 'site4', 'site5']);
    expect(audit).toHaveLength(1);
  });

  it('fitStudyFeatures returns the model with the tests of the sites that took part', async () => {
    const sites = federation([]);
    const r = await fitStudyFeatures(
      'study',
      sites.map((x, i) => [`site${i + 1}`, answeringFeatureStats(x)] as const),
      { info: () => undefined },
    );
    expect(r?.model.sites).toEqual(['site1', 'site2', 'site3', 'site4', 'site5']);
    expect(r?.disagreement.map((t) => t.site_id)).toEqual(r?.model.sites);
    expect(r?.disagreement.some((t) => t.flagged)).toBe(false);
  });
});
