import { describe, expect, it } from '@jest/globals';
import { CsvInputError, parseCsv, parsePredictionsCsv } from './csv';

// Expected values are read off the CSV text by hand (RFC 4180 quoting rules).
describe('parseCsv', () => {
  it('splits fields, handles quotes with "" escapes, CRLF, a BOM, blank lines and a missing final newline', () => {
    const text = '\uFEFFid,note\r\n1,"a, ""b"""\r\n\r\n2,"two\nlines"\n3,plain';
    expect(parseCsv(text)).toEqual({
      header: ['id', 'note'],
      rows: [
        ['1', 'a, "b"'],
        ['2', 'two\nlines'],
        ['3', 'plain'],
      ],
      lines: [2, 4, 6],
    });
  });

  it('names the line of a record with the wrong field count, and an unclosed quote', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow('line 3: 1 fields, expected 2');
    expect(() => parseCsv('a,b\n1,"2\n')).toThrow('line 2: a quoted field is never closed');
  });

  it('rejects an empty file and a duplicated column', () => {
    expect(() => parseCsv('')).toThrow('the file is empty');
    expect(() => parseCsv('\n\n')).toThrow('the file is empty');
    expect(() => parseCsv('a,a\n1,2')).toThrow('column "a" appears twice');
  });
});

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
