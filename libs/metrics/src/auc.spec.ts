import {
  expectRelClose,
  fixtureCases,
  procFor,
  procVersion,
  sklearnFor,
  sklearnVersion,
} from '../fixtures/reference';
import { auc } from './auc';
import { MetricsInputError } from './validate';

describe('auc', () => {
  it.each(fixtureCases.map((c) => [c.name, c] as const))(
    '%s: equals scikit-learn roc_auc_score and pROC auc to 1e-12',
    (name, c) => {
      const ours = auc(c.labels, c.scores);
      expectRelClose(
        ours,
        sklearnFor(name).roc_auc_score,
        `${name} vs scikit-learn ${sklearnVersion} roc_auc_score`,
      );
      expectRelClose(ours, procFor(name).auc, `${name} vs pROC ${procVersion} auc`);
    },
  );

  it('is P(s+ > s-) + ½·P(s+ = s-) on a hand-counted example', () => {
    // pairs (pos, neg): (0.35, 0.1) win, (0.35, 0.4) loss, (0.8, ·) two wins -> 3/4
    expect(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(auc([0, 1], [0.5, 0.5])).toBe(0.5);
  });

  it('never flips direction: an inverted model scores below 0.5', () => {
    expect(auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
  });

  it('treats -0 and 0 as a tie', () => {
    expect(auc([0, 1], [-0, 0])).toBe(0.5);
  });

  it('returns null when a class is empty', () => {
    expect(auc([], [])).toBeNull();
    expect(auc([1, 1], [0.2, 0.3])).toBeNull();
    expect(auc([0, 0], [0.2, 0.3])).toBeNull();
  });

  it('rejects bad labels, non-finite scores and length mismatches, naming field and index', () => {
    const bad = (labels: number[], scores: number[]) => {
      try {
        auc(labels, scores);
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsInputError);
        return { field: (e as MetricsInputError).field, index: (e as MetricsInputError).index };
      }
      throw new Error('expected a MetricsInputError');
    };
    expect(bad([0, 2, 1], [0.1, 0.2, 0.3])).toEqual({ field: 'labels', index: 1 });
    expect(bad([0, 1, 1], [0.1, NaN, 0.3])).toEqual({ field: 'scores', index: 1 });
    expect(bad([0, 1, 1], [0.1, 0.2, Infinity])).toEqual({ field: 'scores', index: 2 });
    expect(bad([0, 1, 1], [0.1, 0.2])).toEqual({ field: 'scores', index: null });
  });
});
