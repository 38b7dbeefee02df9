import { expectRelClose, fixtureCases, sklearnFor, sklearnVersion } from '../fixtures/reference';
import { youden, youdenFromCounts } from './youden';

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

describe('youdenFromCounts (released thresholds only)', () => {
  it('hand example (the doc comment): the best J among the released thresholds', () => {
    expect(
      youdenFromCounts({ n_pos: 10, n_neg: 10, thresholds: [0.3, 0.6], tp: [9, 5], fp: [5, 0] }),
    ).toEqual({
      threshold: 0.6,
      sensitivity: 0.5,
      specificity: 1,
      j: 0.5,
    });
  });

  it('ties go to the higher threshold; no threshold above J = 0 gives +∞; an empty class gives null', () => {
    expect(
      youdenFromCounts({ n_pos: 4, n_neg: 4, thresholds: [0.2, 0.7], tp: [4, 2], fp: [2, 0] })?.threshold,
    ).toBe(0.7);
    expect(youdenFromCounts({ n_pos: 4, n_neg: 4, thresholds: [0.5], tp: [2], fp: [2] })?.threshold).toBe(
      Infinity,
    );
    expect(youdenFromCounts({ n_pos: 0, n_neg: 4, thresholds: [0.5], tp: [0], fp: [2] })).toBeNull();
  });

  it('with every score a released threshold it is youden of the scores', () => {
    // youden is checked against scikit-learn above; here the released thresholds are all distinct scores.
    const labels = [0, 0, 1, 1, 0, 1];
    const scores = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9];
    const thresholds = [...new Set(scores)].sort((a, b) => a - b);
    const tp = thresholds.map((t) => scores.filter((s, i) => s >= t && labels[i] === 1).length);
    const fp = thresholds.map((t) => scores.filter((s, i) => s >= t && labels[i] === 0).length);
    expect(youdenFromCounts({ n_pos: 3, n_neg: 3, thresholds, tp, fp })).toEqual(youden(labels, scores));
  });
});
