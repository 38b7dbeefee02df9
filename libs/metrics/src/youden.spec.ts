import { expectRelClose, fixtureCases, sklearnFor, sklearnVersion } from '../fixtures/reference';
import { youden } from './youden';

describe('youden', () => {
  it.each(fixtureCases.map((c) => [c.name, c] as const))(
    '%s: equals the argmax of TPR − FPR over scikit-learn roc_curve (highest threshold on ties)',
    (name, c) => {
      const ours = youden(c.labels, c.scores);
      const ref = sklearnFor(name).youden;
      if (ref === null) {
        expect(ours).toBeNull();
        return;
      }
      const src = `${name} vs Youden from scikit-learn ${sklearnVersion} roc_curve`;
      expect(ours!.threshold).toBe(ref.threshold ?? Infinity);
      expectRelClose(ours!.sensitivity, ref.sensitivity, `${src} sensitivity`);
      expectRelClose(ours!.specificity, ref.specificity, `${src} specificity`);
      expectRelClose(ours!.j, ref.j, `${src} j`);
    },
  );

  it('breaks ties towards the highest threshold', () => {
    // J = 0.5 at 0.8 and at 0.35
    expect(youden([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toEqual({
      threshold: 0.8,
      sensitivity: 0.5,
      specificity: 1,
      j: 0.5,
    });
  });

  it('returns threshold Infinity (J = 0) for a model no better than chance', () => {
    expect(youden([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toEqual({
      threshold: Infinity,
      sensitivity: 0,
      specificity: 1,
      j: 0,
    });
  });

  it('returns null when a class is empty', () => {
    expect(youden([1, 1], [0.1, 0.2])).toBeNull();
  });
});
