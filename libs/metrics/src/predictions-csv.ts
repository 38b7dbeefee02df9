/**
 * Pure parsing of a predictions CSV (text in, columns out) for the `fedaln-metrics` CLI, on the
 * project's CSV reader (@fedaln/site-data). Errors name the line, the data row and the column, so a
 * hospital can find the cell to fix.
 */
import { CsvInputError, parseCsv } from '@fedaln/site-data';

/** Columns of a predictions file: label (0/1), score and optional score_b (probabilities in [0, 1]). */
export interface PredictionColumns {
  labels: number[];
  scores: number[];
  scores_b?: number[];
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a predictions CSV: a header with `label` and `score`, optionally `score_b` (a second model
 * for a paired comparison); other columns are ignored. Labels must be 0 or 1 (1 = ALN metastasis),
 * scores decimal numbers in [0, 1].
 *
 * @example
 * parsePredictionsCsv('case_id,label,score\na,1,0.81\nb,0,0.2\n');
 * // { labels: [1, 0], scores: [0.81, 0.2] }
 */
export function parsePredictionsCsv(text: string): PredictionColumns {
  const table = parseCsv(text, { expectedHeader: 'label,score' });
  const { header, rows, lines } = table;
  const at = (name: string): number => header.indexOf(name);
  for (const required of ['label', 'score']) {
    if (at(required) < 0) {
      throw new CsvInputError(
        `line 1: no "${required}" column in the header (${header.join(',')}); expected columns label,score[,score_b]`,
        1,
        required,
      );
    }
  }
  if (rows.length === 0)
    throw new CsvInputError('no data rows after the header; expected one row per case', null, null);
  const column = (name: string, check: (v: number) => boolean, expected: string): number[] => {
    const j = at(name);
    return rows.map((row, r) => {
      const raw = row[j]!.trim();
      const v = DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!check(v)) {
        throw new CsvInputError(
          `line ${lines[r]} (data row ${r + 1}), column "${name}": ${JSON.stringify(raw)} is not ${expected}`,
          lines[r]!,
          name,
        );
      }
      return v;
    });
  };
  const isLabel = (v: number): boolean => v === 0 || v === 1;
  const isProb = (v: number): boolean => v >= 0 && v <= 1;
  const out: PredictionColumns = {
    labels: column('label', isLabel, 'a label 0 or 1 (1 = ALN metastasis)'),
    scores: column('score', isProb, 'a probability in [0, 1]'),
  };
  if (at('score_b') >= 0) out.scores_b = column('score_b', isProb, 'a probability in [0, 1]');
  return out;
}
