import { describe, expect, it } from '@jest/globals';
import { CsvInputError } from '@fedaln/site-data';
import { parsePredictionsCsv } from './predictions-csv';

describe('parsePredictionsCsv', () => {
  it('reads label, score and score_b by name, ignoring other columns', () => {
    const text = 'case_id,score,label,score_b\nc1,0.81,1,0.7\nc2,2.5e-1,0,1\nc3,0,0,.5\n';
    expect(parsePredictionsCsv(text)).toEqual({
      labels: [1, 0, 0],
      scores: [0.81, 0.25, 0],
      scores_b: [0.7, 1, 0.5],
    });
    expect(parsePredictionsCsv('label,score\n1,1')).toEqual({ labels: [1], scores: [1] });
  });

  it.each([
    ['label,scores\n1,0.5\n', 'line 1: no "score" column'],
    ['score\n0.5\n', 'line 1: no "label" column'],
    ['label,score\n', 'no data rows'],
    ['', 'the file is empty; expected a header line such as "label,score"'],
    ['label,score\n1,0.5\n0\n', 'line 3: 1 fields, expected 2'],
    ['label,score\n1,0.5\n2,0.5\n', 'line 3 (data row 2), column "label": "2" is not a label 0 or 1'],
    [
      'label,score\n1,0.5\n0,abc\n',
      'line 3 (data row 2), column "score": "abc" is not a probability in [0, 1]',
    ],
    ['label,score\n1,1.2\n', 'line 2 (data row 1), column "score": "1.2" is not a probability'],
    ['label,score\n1,-0.1\n', 'column "score": "-0.1" is not'],
    ['label,score\n1,\n', 'column "score": "" is not'],
    ['label,score\n1,0x1\n', 'column "score": "0x1" is not'],
    ['label,score,score_b\n1,0.3,NaN\n', 'column "score_b": "NaN" is not'],
  ])('%j → %s', (text, message) => {
    expect(() => parsePredictionsCsv(text)).toThrow(CsvInputError);
    expect(() => parsePredictionsCsv(text)).toThrow(message);
  });

  it('carries the line and column on the error', () => {
    try {
      parsePredictionsCsv('label,score\n1,0.5\n0,x\n');
      throw new Error('expected a CsvInputError');
    } catch (e) {
      expect(e).toBeInstanceOf(CsvInputError);
      expect((e as CsvInputError).line).toBe(3);
      expect((e as CsvInputError).column).toBe('score');
    }
  });
});
