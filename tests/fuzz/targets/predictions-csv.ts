import { parsePredictionsCsv } from '@fedaln/metrics';
import { CsvInputError } from '@fedaln/site-data';
import { allowOnly, expectThat, utf8, type FuzzTarget } from '../support/fuzz-target';

/**
 * `parsePredictionsCsv` (libs/metrics predictions-csv.ts, the `fedaln-metrics` CLI's reader) on
 * arbitrary text: refuses with a CsvInputError only; accepted, it gives one label (0 or 1) and one
 * score (a finite probability in [0, 1]) per data row, and as many `score_b` when that column is there.
 */
export const predictionsCsv: FuzzTarget = {
  name: 'predictions-csv',
  description: 'parsePredictionsCsv(text); documented refusal: CsvInputError',
  dictionary: [
    'label',
    'score',
    'score_b',
    'case_id',
    ',',
    '"',
    '\n',
    '\r\n',
    '\ufeff',
    '0.5',
    '1e-400',
    '.5',
    '+1',
    '1.',
    'e9',
  ],
  maxLength: 4096,
  run(data) {
    const text = utf8(data);
    let cols;
    try {
      cols = parsePredictionsCsv(text);
    } catch (e) {
      allowOnly(e, CsvInputError);
      return;
    }
    const n = cols.labels.length;
    expectThat(n >= 1 && cols.scores.length === n, () => `${n} labels, ${cols.scores.length} scores`);
    expectThat(n <= text.length / 2, () => `${n} rows from ${text.length} characters`);
    expectThat(
      cols.labels.every((l) => l === 0 || l === 1),
      () => 'a label other than 0 or 1',
    );
    const isProbability = (s: number): boolean => Number.isFinite(s) && s >= 0 && s <= 1;
    expectThat(cols.scores.every(isProbability), () => 'a score outside [0, 1]');
    if (cols.scores_b !== undefined) {
      expectThat(cols.scores_b.length === n && cols.scores_b.every(isProbability), () => 'bad score_b');
    }
  },
};
