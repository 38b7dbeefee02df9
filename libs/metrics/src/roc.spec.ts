import { expectRelClose, fixtureCases, sklearnFor, sklearnVersion } from '../fixtures/reference';
import { rocCounts, rocCurve } from './roc';

describe('rocCurve', () => {
  it.each(fixtureCases.map((c) => [c.name, c] as const))(
    '%s: equals scikit-learn roc_curve(drop_intermediate=False) to 1e-12',
    (name, c) => {
      const ours = rocCurve(c.labels, c.scores);
      const ref = sklearnFor(name).roc_curve;
      if (ref === null) {
        expect(ours).toBeNull();
        return;
      }
      expect(ours).not.toBeNull();
      const src = `${name} vs scikit-learn ${sklearnVersion} roc_curve`;
      expect(ours!.thresholds.length).toBe(ref.thresholds.length);
      expect(ours!.thresholds[0]).toBe(Infinity); // sklearn ≥ 1.3: inf; 1.2: max + 1 (fixture: null)
      ours!.thresholds.forEach(
        (t, k) => k > 0 && expectRelClose(t, ref.thresholds[k]!, `${src} thresholds[${k}]`),
      );
      ours!.fpr.forEach((v, k) => expectRelClose(v, ref.fpr[k]!, `${src} fpr[${k}]`));
      ours!.tpr.forEach((v, k) => expectRelClose(v, ref.tpr[k]!, `${src} tpr[${k}]`));
    },
  );

  it('starts at (0, 0) with threshold +Infinity, written as null in JSON, and ends at (1, 1)', () => {
    const r = rocCurve([0, 1, 1], [0.2, 0.9, 0.2])!;
    expect(r).toEqual({ thresholds: [Infinity, 0.9, 0.2], fpr: [0, 0, 1], tpr: [0, 0.5, 1] });
    expect(JSON.stringify(r.thresholds)).toBe('[null,0.9,0.2]');
  });

  it('counts positive iff score ≥ threshold, ties together', () => {
    expect(rocCounts([0, 1, 1, 0], [0.5, 0.5, 0.7, 0.1])).toEqual({
      thresholds: [Infinity, 0.7, 0.5, 0.1],
      tp: [0, 1, 2, 2],
      fp: [0, 0, 1, 2],
      nPositive: 2,
      nNegative: 2,
    });
  });

  it('returns null when a class is empty', () => {
    expect(rocCurve([0, 0], [0.1, 0.2])).toBeNull();
    expect(rocCurve([], [])).toBeNull();
  });
});
