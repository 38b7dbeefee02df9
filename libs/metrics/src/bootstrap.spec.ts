import { Xoshiro128StarStar } from '@fedaln/site-data';
import { auc } from './auc';
import { bootstrapCi } from './bootstrap';
import { brier } from './brier';
import { MetricsInputError } from './validate';

function sample(n: number, seed: number): { labels: number[]; scores: number[] } {
  const rng = Xoshiro128StarStar.fromSeed(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.nextFloat() < 0.4 ? 1 : 0;
    labels.push(y);
    scores.push(Math.round((0.3 * y + 0.7 * rng.nextFloat()) * 100) / 100);
  }
  return Object.freeze({ labels, scores });
}

describe('bootstrapCi', () => {
  const { labels, scores } = sample(200, 1);

  it('is reproducible for a seed and brackets the estimate', () => {
    const a = bootstrapCi(labels, scores, auc, { seed: 11, reps: 500 });
    const b = bootstrapCi(labels, scores, auc, { seed: 11, reps: 500 });
    expect(a).toEqual(b);
    expect(a.estimate).toBe(auc(labels, scores));
    expect(a.lo!).toBeLessThan(a.estimate!);
    expect(a.hi!).toBeGreaterThan(a.estimate!);
    expect(a).toMatchObject({ reps_used: 500, reps_skipped: 0 });
    expect(bootstrapCi(labels, scores, auc, { seed: 12, reps: 500 })).not.toEqual(a);
  });

  it('stratified resamples keep both class sizes', () => {
    const nPos = labels.filter((y) => y === 1).length;
    bootstrapCi(
      labels,
      scores,
      (y) => {
        expect(y.reduce((s, v) => s + v, 0)).toBe(nPos);
        return 0;
      },
      { seed: 3, reps: 50 },
    );
  });

  it('takes type-7 percentiles of the resampled values', () => {
    // A metric that returns 0, 1, 2, … per call: the resamples give 1..reps (call 0 is the estimate).
    let calls = 0;
    const r = bootstrapCi(labels, scores, () => calls++, { seed: 1, reps: 101, level: 0.9 });
    expect(r).toMatchObject({ estimate: 0, reps_used: 101, reps_skipped: 0 });
    expect(r.lo).toBeCloseTo(1 + 100 * 0.05, 12);
    expect(r.hi).toBeCloseTo(1 + 100 * 0.95, 12);
  });

  it('skips and counts resamples where the metric is null', () => {
    // 3 cases, 1 positive, unstratified: a resample has no positive with probability (2/3)^3
    const r = bootstrapCi([0, 1, 0], [0.2, 0.8, 0.4], auc, { seed: 5, reps: 1000, stratified: false });
    expect(r.reps_used + r.reps_skipped).toBe(1000);
    expect(r.reps_skipped).toBeGreaterThan(230);
    expect(r.reps_skipped).toBeLessThan(370);
  });

  it('gives null bounds when no resample has a value', () => {
    expect(bootstrapCi([0, 0], [0.1, 0.2], auc, { seed: 1, reps: 10 })).toEqual({
      estimate: null,
      lo: null,
      hi: null,
      reps_used: 0,
      reps_skipped: 10,
    });
  });

  it('works for any metric (Brier)', () => {
    const r = bootstrapCi(labels, scores, brier, { seed: 2, reps: 200 });
    expect(r.lo!).toBeLessThan(r.hi!);
  });

  it('rejects bad options with the option named', () => {
    expect(() => bootstrapCi(labels, scores, auc, { seed: 1, reps: 0 })).toThrow(MetricsInputError);
    expect(() => bootstrapCi(labels, scores, auc, { seed: 1, level: 1 })).toThrow(/options.level/);
    expect(() => bootstrapCi(labels, scores, auc, { seed: -1 })).toThrow(/options.seed/);
  });
});
