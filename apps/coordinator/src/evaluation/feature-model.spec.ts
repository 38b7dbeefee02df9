import { describe, expect, it } from '@jest/globals';
import { FEATURE_MODEL_TERMS, fitLogistic } from '@fedaln/metrics';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FeatureModelStore, fitStudyFeatureModel, type FeatureStatsCall } from './feature-model';
import { answeringFeatureStats } from '../../../../tests/support/feature-stats-answer';

// Two sites' train rows [size_mm, non-parallel, halo, spiculation, outcome] (not separable: the
// pooled fit converges), site A the first 8.
const ROWS: readonly (readonly number[])[] = Object.freeze(
  [
    [12, 0, 0, 0, 0],
    [25, 1, 1, 0, 1],
    [18, 0, 1, 1, 0],
    [30, 1, 0, 1, 1],
    [9, 0, 0, 0, 1],
    [22, 1, 1, 1, 0],
    [15, 0, 0, 1, 1],
    [27, 0, 1, 0, 0],
    [14, 1, 0, 0, 1],
    [31, 1, 1, 1, 0],
    [11, 0, 0, 1, 0],
    [20, 0, 1, 0, 1],
    [26, 1, 0, 0, 0],
    [8, 0, 0, 0, 1],
    [19, 1, 1, 0, 1],
  ].map((r) => Object.freeze(r)),
);
const design = (rows: readonly (readonly number[])[]) => ({
  X: rows.map((r) => r.slice(0, 4)),
  y: rows.map((r) => r[4]!),
});
const siteA = design(ROWS.slice(0, 8));
const siteB = design(ROWS.slice(8));

const silent = { info: () => undefined };

describe('fitStudyFeatureModel', () => {
  it('equals fitLogistic on the two sites’ rows pooled, leaving out a site without the columns', async () => {
    const none: FeatureStatsCall = () => Promise.resolve({ ok: true, stats: null, reason: 'no columns' });
    const fm = await fitStudyFeatureModel(
      'study',
      [
        ['a', answeringFeatureStats(siteA)],
        ['c', none],
        ['b', answeringFeatureStats(siteB)],
      ],
      silent,
    );
    // Reference: the pooled maximum-likelihood fit (fitLogistic, itself checked against R's glm).
    const pooled = fitLogistic([...siteA.X, ...siteB.X], [...siteA.y, ...siteB.y]);
    expect(fm?.sites).toEqual(['a', 'b']);
    expect(fm?.covariates).toEqual([...FEATURE_MODEL_TERMS]);
    fm!.coefficients.forEach((b, j) => expect(b).toBeCloseTo(pooled.coefficients![j]!, 9));
    fm!.std_errors.forEach((se, j) => expect(se).toBeCloseTo(pooled.std_errors![j]!, 9));
  });

  it('is null (skipped, not thrown) when no site has the features or a site stops answering mid-fit', async () => {
    const reasons: string[] = [];
    const log = { info: (o: object) => void reasons.push(String((o as { reason?: string }).reason)) };
    expect(await fitStudyFeatureModel('s', [], log)).toBeNull();
    expect(reasons.at(-1)).toBe('no site has the feature columns');
    let calls = 0;
    const flaky: FeatureStatsCall = (req) =>
      ++calls === 1
        ? answeringFeatureStats(siteB)(req)
        : Promise.reject(new Error('operation has timed out'));
    expect(
      await fitStudyFeatureModel(
        's',
        [
          ['a', answeringFeatureStats(siteA)],
          ['b', flaky],
        ],
        log,
      ),
    ).toBeNull();
    expect(reasons.at(-1)).toMatch(/site b stopped answering mid-fit .*timed out/);
  });
  it('leaves out a site whose answer is unbounded or malformed, logging why, and fits the others', async () => {
    const reasons: { siteId?: string; reason?: string }[] = [];
    const log = { info: (o: object) => void reasons.push(o as { siteId?: string; reason?: string }) };
    const hostile: FeatureStatsCall = async (req) => {
      const ack = await answeringFeatureStats(siteB)(req);
      if (!ack.ok || !ack.stats) return ack;
      return { ok: true, stats: { ...ack.stats, information: { length: 1e8 } as unknown as number[] } };
    };
    const fm = await fitStudyFeatureModel(
      'study',
      [
        ['a', answeringFeatureStats(design(ROWS))],
        ['h', hostile],
      ],
      log,
    );
    // Reference: site a's own maximum-likelihood fit (fitLogistic, checked against R's glm), h left out.
    const alone = fitLogistic(design(ROWS).X, design(ROWS).y);
    expect(fm?.sites).toEqual(['a']);
    fm!.coefficients.forEach((b, j) => expect(b).toBeCloseTo(alone.coefficients![j]!, 9));
    expect(reasons[0]).toMatchObject({ siteId: 'h' });
    expect(reasons[0]?.reason).toMatch(
      /information is of type object; expected an array of 25 finite numbers/,
    );
  });
});

describe('FeatureModelStore', () => {
  it('keeps one model per study beside the metrics reports', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-feature-model-'));
    const store = new FeatureModelStore(root);
    expect(await store.find('s1')).toBeNull();
    const fm = { covariates: ['intercept'], coefficients: [0.5], std_errors: [0.1], p: [0.01], sites: ['a'] };
    await store.save('s1', fm);
    expect(await store.find('s1')).toEqual(fm);
    expect(fs.readdirSync(path.join(root, 's1'))).toEqual(['feature-model.json']);
  });
});
