import { describe, expect, it } from '@jest/globals';
import { dataSufficiency } from './data-sufficiency';

describe('dataSufficiency', () => {
  it('allows training and evaluation when every class of every split has the minimum', () => {
    expect(dataSufficiency({ train: { negative: 2, positive: 2 }, test: { negative: 2, positive: 2 } }, 2)).toEqual({
      canTrain: true,
      canEvaluate: true,
      problems: [],
    });
  });

  it('names each short split and class, with the fix', () => {
    const s = dataSufficiency({ train: { negative: 30, positive: 12 }, test: { negative: 8, positive: 1 } }, 2);
    expect(s.canTrain).toBe(true);
    expect(s.canEvaluate).toBe(false);
    expect(s.problems).toEqual([
      'test split: 1 positive case (aln_metastasis=1); at least 2 needed to evaluate — add cases or move some to split=test in labels.csv',
    ]);
  });

  it('reports both classes of an empty split', () => {
    const s = dataSufficiency({ train: { negative: 0, positive: 0 }, test: { negative: 3, positive: 3 } }, 2);
    expect(s.canTrain).toBe(false);
    expect(s.problems).toHaveLength(2);
    expect(s.problems[0]).toContain('train split: 0 negative cases (aln_metastasis=0)');
  });
});
