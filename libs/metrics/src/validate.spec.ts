import {
  checkLabels,
  checkLabelsScores,
  checkProbabilities,
  countPositives,
  MetricsInputError,
} from './validate';

function caught(f: () => void): MetricsInputError {
  try {
    f();
  } catch (e) {
    if (e instanceof MetricsInputError) return e;
    throw e;
  }
  throw new Error('expected a MetricsInputError');
}

describe('input checks', () => {
  it('accept 0/1 labels with finite scores, typed arrays too', () => {
    expect(() => checkLabelsScores([0, 1], [-3.5, 1e300])).not.toThrow();
    expect(() => checkLabelsScores(new Uint8Array([1, 0]), new Float64Array([0.1, 0.2]))).not.toThrow();
    expect(() => checkLabelsScores([], [])).not.toThrow();
  });

  it('name the field and index of a bad label', () => {
    const e = caught(() => checkLabels([0, 1, 0.5]));
    expect(e).toMatchObject({ name: 'MetricsInputError', field: 'labels', index: 2, value: 0.5 });
    expect(e.message).toBe('labels[2] is 0.5; expected 0 or 1 (1 = positive)');
    expect(caught(() => checkLabels([0, NaN]))).toMatchObject({ index: 1 });
  });

  it('name the field and index of a non-finite score, with a custom field name', () => {
    expect(caught(() => checkLabelsScores([0, 1], [0, -Infinity], 'scores_b'))).toMatchObject({
      field: 'scores_b',
      index: 1,
    });
  });

  it('report a length mismatch with index null', () => {
    const e = caught(() => checkLabelsScores([0, 1, 1], [0.2, 0.3]));
    expect(e).toMatchObject({ field: 'scores', index: null });
    expect(e.message).toMatch(/2 values but labels has 3/);
  });

  it('reject non-arrays', () => {
    expect(caught(() => checkLabels(null as unknown as number[]))).toMatchObject({
      field: 'labels',
      index: null,
    });
  });

  it('check probabilities are in [0, 1]', () => {
    expect(() => checkProbabilities([0, 1, 0.5], 3)).not.toThrow();
    expect(caught(() => checkProbabilities([0, 1.0000001], 2))).toMatchObject({ field: 'probs', index: 1 });
    expect(caught(() => checkProbabilities([NaN], 1))).toMatchObject({ index: 0 });
  });

  it('count positives', () => {
    expect(countPositives([0, 1, 1, 0, 1])).toBe(3);
  });
});
