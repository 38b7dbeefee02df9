import { describe, expect, it } from '@jest/globals';
import type { SiteCase } from '@fedaln/site-data';
import { featureDesign, featureModelScores, featureStatsAnswer } from './feature-baseline';

const kase = (
  caseId: string,
  label: 0 | 1,
  features: SiteCase['features'],
  split: SiteCase['split'] = 'train',
): SiteCase => Object.freeze({ caseId, imagePath: `/x/${caseId}.png`, label, split, features });

const a = kase('a', 1, {
  size_mm: 20,
  orientation: 'non-parallel',
  echogenic_halo: 1,
  spiculation: 0,
  shape: 'round',
});
const b = kase('b', 0, {
  size_mm: 10,
  orientation: 'parallel',
  echogenic_halo: 0,
  spiculation: 1,
  shape: 'oval',
});

describe('featureDesign', () => {
  it('reads [size_mm, non-parallel, halo, spiculation] per case, extra columns ignored', () => {
    expect(featureDesign([a, b])).toEqual({
      rows: [
        [20, 1, 1, 0],
        [10, 0, 0, 1],
      ],
    });
  });

  it('says which columns are missing when labels.csv has none of the features', () => {
    const r = featureDesign([kase('c', 0, { shape: 'oval' })]);
    expect('reason' in r && r.reason).toMatch(
      /lacks the feature columns size_mm, orientation.*extra columns: shape/,
    );
  });

  it('names the case and column of an unusable cell', () => {
    const r = featureDesign([a, kase('d', 0, { ...b.features, orientation: null })]);
    expect('reason' in r && r.reason).toMatch(/case_id d.*orientation is empty/);
  });
});

describe('featureStatsAnswer', () => {
  it('at β = 0 gives XᵀX/4, Xᵀ(y − ½) and deviance 2n·ln 2 (every μ = ½, W = ¼)', () => {
    // Hand derivation with design rows [1, 20, 1, 1, 0] (y = 1) and [1, 10, 0, 0, 1] (y = 0):
    // score = ½·row_a − ½·row_b = [0, 5, 0.5, 0.5, −0.5]; information = (row_aᵀrow_a + row_bᵀrow_b)/4.
    const r = featureStatsAnswer([a, b], [0, 0, 0, 0, 0]);
    const rowA = [1, 20, 1, 1, 0];
    const rowB = [1, 10, 0, 0, 1];
    const info = rowA.flatMap((_, i) => rowA.map((_, j) => (rowA[i]! * rowA[j]! + rowB[i]! * rowB[j]!) / 4));
    expect(r.stats?.k).toBe(5);
    expect(r.stats?.score).toEqual([0, 5, 0.5, 0.5, -0.5]);
    r.stats!.information.forEach((v, i) => expect(v).toBeCloseTo(info[i]!, 12));
    expect(r.stats?.deviance).toBeCloseTo(4 * Math.LN2, 12);
    // Plain arrays, so the ack is JSON (no typed arrays on the wire).
    expect(Array.isArray(r.stats?.information)).toBe(true);
  });

  it('answers null with the reason for a site without feature columns', () => {
    const r = featureStatsAnswer([kase('c', 0, {})], [0, 0, 0, 0, 0]);
    expect(r.stats).toBeNull();
    expect(r.reason).toMatch(/lacks the feature columns/);
  });
});

describe('featureModelScores', () => {
  it('is expit(β₀ + xβ) per test case', () => {
    // η_a = −1 + 0.05·20 + 1 = 1 → e/(1+e); η_b = −1 + 0.05·10 − 0.5 = −1 → 1/(1+e).
    const r = featureModelScores([a, b], [-1, 0.05, 1, 0, -0.5]);
    expect('scores' in r).toBe(true);
    const scores = (r as { scores: number[] }).scores;
    expect(scores[0]).toBeCloseTo(Math.E / (1 + Math.E), 14);
    expect(scores[1]).toBeCloseTo(1 / (1 + Math.E), 14);
  });
});
