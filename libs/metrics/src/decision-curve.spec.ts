import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decisionCurve, decisionCurveFromCounts, defaultThresholds, thresholdCounts } from './decision-curve';
import { MetricsInputError } from './validate';

// Reference: an independent numpy implementation of Vickers & Elkin (2006), written from the
// formula and not from this code, in libs/metrics/fixtures/make_dca_fixtures.py (no dcurves
// package is installable here to compare against). Net benefits agree to 1e-15 absolute.
interface DcaCase {
  name: string;
  labels: number[];
  probs: number[];
  thresholds: number[] | null;
  expected: {
    tp: number[];
    fp: number[];
    net_benefit: number[];
    treat_all: number[];
    runs: [number, number][];
    range: [number, number] | null;
  };
}
const cases: DcaCase[] = JSON.parse(readFileSync(join(__dirname, '../fixtures/decision_curve.json'), 'utf8'));

const expectAllClose = (actual: number[], expected: number[]): void => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(1e-15));
};

describe('decisionCurve against the numpy reference', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const curve = c.thresholds
      ? decisionCurve(c.labels, c.probs, c.thresholds)
      : decisionCurve(c.labels, c.probs);
    expect(curve.thresholds).toEqual(c.thresholds ?? defaultThresholds());
    expectAllClose(curve.net_benefit, c.expected.net_benefit);
    expectAllClose(curve.treat_all, c.expected.treat_all);
    expect(curve.runs).toEqual(c.expected.runs);
    expect(curve.range).toEqual(c.expected.range);
    const counts = thresholdCounts(c.labels, c.probs, curve.thresholds);
    expect(counts).toEqual({ tp: c.expected.tp, fp: c.expected.fp });
  });
});

describe('decisionCurve', () => {
  it('default grid is k/100 for k = 1…99', () => {
    const grid = defaultThresholds();
    expect(grid).toHaveLength(99);
    expect(grid[6]).toBe(0.07);
    expect(grid[98]).toBe(0.99);
  });

  it('hand derivation: 4 cases, t = 0.3 and 0.5', () => {
    // t = 0.3 (odds 3/7): scores ≥ 0.3 are 0.9 (pos), 0.6 (neg), 0.4 (pos): NB = 2/4 − 1/4 · 3/7.
    // t = 0.5 (odds 1): 0.9 (pos), 0.6 (neg): NB = 1/4 − 1/4 = 0, treat-all = ½ − ½ = 0: not beaten.
    const curve = decisionCurve([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], [0.3, 0.5]);
    expect(curve.net_benefit[0]).toBeCloseTo(0.5 - 0.25 * (3 / 7), 15);
    expect(curve.treat_all[0]).toBeCloseTo(0.5 - 0.5 * (3 / 7), 15);
    expect(curve.net_benefit[1]).toBe(0);
    expect(curve.runs).toEqual([[0.3, 0.3]]);
    expect(curve.range).toEqual([0.3, 0.3]);
  });

  it('two runs of equal length: range is the lower one', () => {
    // From counts: n = 10, 4 positives. Beats both iff TP/n − FP/n·odds > max(treat-all, 0).
    // t = 0.2, 0.3: tp 4, fp 0 beats; t = 0.4: tp 0 does not; t = 0.5, 0.6: tp 4, fp 0 beats.
    const curve = decisionCurveFromCounts({
      n: 10,
      n_pos: 4,
      tp: [4, 4, 0, 4, 4],
      fp: [0, 0, 0, 0, 0],
      thresholds: [0.2, 0.3, 0.4, 0.5, 0.6],
    });
    expect(curve.runs).toEqual([
      [0.2, 0.3],
      [0.5, 0.6],
    ]);
    expect(curve.range).toEqual([0.2, 0.3]);
  });

  it('pooled counts of two sites give exactly the curve of the concatenated cases', () => {
    const c = cases.find((x) => x.name === 'n = 2500')!;
    const grid = defaultThresholds();
    const [ya, yb] = [c.labels.slice(0, 900), c.labels.slice(900)];
    const [pa, pb] = [c.probs.slice(0, 900), c.probs.slice(900)];
    const a = thresholdCounts(ya, pa, grid);
    const b = thresholdCounts(yb, pb, grid);
    const nPos = c.labels.reduce((s, y) => s + y, 0);
    const pooled = decisionCurveFromCounts({
      n: c.labels.length,
      n_pos: nPos,
      tp: a.tp.map((v, i) => v + b.tp[i]!),
      fp: a.fp.map((v, i) => v + b.fp[i]!),
      thresholds: grid,
    });
    expect(pooled).toEqual(decisionCurve(c.labels, c.probs));
  });

  it('rejects bad thresholds, probabilities and counts with the position', () => {
    expect(() => decisionCurve([0, 1], [0.2, 0.7], [0.3, 0.3])).toThrow(MetricsInputError);
    expect(() => decisionCurve([0, 1], [0.2, 0.7], [0.3, 0.3])).toThrow('thresholds[1] is 0.3, not above');
    expect(() => decisionCurve([0, 1], [0.2, 0.7], [0, 0.5])).toThrow(
      'thresholds[0] is 0; expected 0 < t < 1',
    );
    expect(() => decisionCurve([0, 1], [0.2, 1.7])).toThrow('probs[1] is 1.7');
    expect(() => decisionCurveFromCounts({ n: 4, n_pos: 2, tp: [3], fp: [0], thresholds: [0.5] })).toThrow(
      'tp[0] is 3',
    );
    expect(() => decisionCurveFromCounts({ n: 0, n_pos: 0, tp: [0], fp: [0], thresholds: [0.5] })).toThrow(
      'n is 0',
    );
  });
});
