import { describe, expect, it } from '@jest/globals';
import {
  combinedRows,
  logisticPredict,
  logisticSufficientStats,
  plattRows,
  siteModelComparison,
} from '@fedaln/metrics';
import type { SiteCase } from '@fedaln/site-data';
import { ValidationScores } from './validation-scores';

const withFeatures = (i: number, label: 0 | 1): SiteCase => ({
  caseId: `c${i}`,
  imagePath: `/x/c${i}.png`,
  label,
  split: 'train',
  features: {
    size_mm: 10 + i,
    orientation: i % 2 ? 'non-parallel' : 'parallel',
    echogenic_halo: label,
    spiculation: (i + 1) % 2,
  },
});
const CASES = Object.freeze([0, 1, 0, 1, 1, 0].map((y, i) => withFeatures(i, y as 0 | 1)));
const SCORES = Float32Array.from([0.2, 0.7, 0.4, 0.9, 0.55, 0.1]);
const LABELS = CASES.map((c) => c.label);

describe('ValidationScores (a site’s answer to nomogram:stats)', () => {
  const kept = new ValidationScores();
  kept.keep('s', 2, CASES, SCORES);

  it('answers the Platt and combined designs of the kept round at β (logisticSufficientStats of the same rows)', () => {
    const platt = kept.answer({ study_id: 's', round: 2, model: 'platt', beta: [0.1, 0.9] });
    const p = logisticSufficientStats(plattRows(SCORES), LABELS, [0.1, 0.9]);
    expect(platt).toEqual({
      ok: true,
      stats: {
        k: 2,
        information: Array.from(p.information),
        score: Array.from(p.score),
        deviance: p.deviance,
        max_abs_eta: p.max_abs_eta,
      },
    });
    const beta = [0, 1, 0.01, 0.2, 0.3, 0.4];
    const combined = kept.answer({ study_id: 's', round: 2, model: 'combined', beta });
    const rows = combinedRows(
      SCORES,
      CASES.map(
        (c, i) => [c.features.size_mm, i % 2, c.features.echogenic_halo, c.features.spiculation] as number[],
      ),
    );
    expect(combined.ok && combined.stats?.score).toEqual(
      Array.from(logisticSufficientStats(rows, LABELS, beta).score),
    );
  });

  it('answers null with why for a round it did not evaluate in this run, or without feature columns', () => {
    expect(kept.answer({ study_id: 's', round: 3, model: 'platt', beta: [0, 0] })).toMatchObject({
      ok: true,
      stats: null,
      reason: expect.stringContaining('no validation scores of study s round 3 in this run'),
    });
    const bare = new ValidationScores();
    bare.keep(
      's',
      2,
      CASES.map((c) => ({ ...c, features: {} })),
      SCORES,
    );
    expect(
      bare.answer({ study_id: 's', round: 2, model: 'combined', beta: [0, 0, 0, 0, 0, 0] }),
    ).toMatchObject({
      ok: true,
      stats: null,
      reason: expect.stringContaining('lacks the feature columns'),
    });
  });

  it('refuses a β of the wrong size or not finite', () => {
    expect(kept.answer({ study_id: 's', round: 2, model: 'platt', beta: [0, 0, 0] })).toEqual({
      ok: false,
      code: 'bad_request',
      message: 'beta must be 2 finite numbers for the platt model',
    });
    expect(
      kept.answer({ study_id: 's', round: 2, model: 'combined', beta: [0, 0, 0, 0, 0, NaN] }),
    ).toMatchObject({ ok: false });
  });
});

describe('ValidationScores (a site’s answer to nomogram:compare)', () => {
  const labels = [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0] as const;
  const TEST = Object.freeze(labels.map((y, i) => ({ ...withFeatures(i, y), split: 'test' as const })));
  const TEST_SCORES = Float32Array.from([0.3, 0.6, 0.2, 0.8, 0.45, 0.5, 0.7, 0.35, 0.1, 0.65, 0.9, 0.4]);
  const kept = new ValidationScores();
  kept.keep('s', 2, CASES, SCORES, TEST, TEST_SCORES);
  const rows = TEST.map(
    (c, i) => [c.features.size_mm, i % 2, c.features.echogenic_halo, c.features.spiculation] as number[],
  );
  const fm = [-1, 0.05, 0.3, 0.8, 0.2];
  const combined = [-0.5, 0.9, 0.02, 0.1, 0.6, 0.3];
  const req = { study_id: 's', round: 2, feature_model: fm, combined, min_cell_count: 5 };

  it('answers the three AUCs and their DeLong covariance on the kept test cases, as siteModelComparison of the same scores', () => {
    const want = siteModelComparison(
      labels,
      {
        dl: TEST_SCORES,
        features: logisticPredict(rows, fm),
        combined: logisticPredict(combinedRows(TEST_SCORES, rows), combined),
      },
      5,
    );
    expect(want.auc).not.toBeNull();
    expect(kept.compare(req)).toEqual({ ok: true, comparison: want });
  });

  it('withholds the figures under the study’s k (6 cases a class, k = 7)', () => {
    expect(kept.compare({ ...req, min_cell_count: 7 })).toEqual({
      ok: true,
      comparison: { n: 12, n_pos: 6, auc: null, covariance: null },
    });
  });

  it('answers null with why without kept test scores or feature columns, and refuses bad coefficients', () => {
    expect(kept.compare({ ...req, round: 3 })).toMatchObject({
      ok: true,
      comparison: null,
      reason: expect.stringContaining('no test scores of study s round 3 in this run'),
    });
    const bare = new ValidationScores();
    bare.keep(
      's',
      2,
      CASES,
      SCORES,
      TEST.map((c) => ({ ...c, features: {} })),
      TEST_SCORES,
    );
    expect(bare.compare(req)).toMatchObject({
      comparison: null,
      reason: expect.stringContaining('lacks the feature columns'),
    });
    expect(kept.compare({ ...req, combined: [0, 1] })).toEqual({
      ok: false,
      code: 'bad_request',
      message: 'combined must be 6 finite coefficients',
    });
  });
});
