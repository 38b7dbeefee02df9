import { expectRelClose, fixtureCases, sklearnFor, sklearnVersion } from '../fixtures/reference';
import { brier } from './brier';
import { MetricsInputError } from './validate';

const probabilityCases = fixtureCases.filter((c) => c.scores.every((s) => s >= 0 && s <= 1));

describe('brier', () => {
  it.each(probabilityCases.map((c) => [c.name, c] as const))(
    '%s: equals scikit-learn brier_score_loss to 1e-12',
    (name, c) => {
      expectRelClose(
        brier(c.labels, c.scores),
        sklearnFor(name).brier_score_loss,
        `${name} vs scikit-learn ${sklearnVersion} brier_score_loss`,
      );
    },
  );

  it('is the mean squared error on a hand example', () => {
    expect(brier([0, 1, 1], [0.1, 0.9, 0.6])).toBeCloseTo(0.06, 15);
    expect(brier([0, 1], [0, 1])).toBe(0);
    expect(brier([0, 1], [1, 0])).toBe(1);
  });

  it('is defined for a single class and null for no cases', () => {
    expect(brier([0, 0], [0.5, 0.5])).toBe(0.25);
    expect(brier([], [])).toBeNull();
  });

  it('rejects probabilities outside [0, 1], naming field and index', () => {
    expect(() => brier([0, 1], [0.5, 1.5])).toThrow(MetricsInputError);
    try {
      brier([0, 1], [-0.1, 0.5]);
    } catch (e) {
      expect(e).toMatchObject({ field: 'probs', index: 0 });
    }
  });
});
