/**
 * Pure parsing of a predictions CSV (text in, columns out) for the `fedaln-metrics` CLI. Errors name
 * the line, the data row and the column, so a hospital can find the cell to fix.
 */

/** A CSV problem: `line` is the 1-based line of the file (null for whole-file problems). */
export class CsvInputError extends Error {
  override readonly name = 'CsvInputError';

  constructor(
    message: string,
    readonly line: number | null,
    readonly column: string | null,
  ) {
    super(message);
  }
}

export interface CsvTable {
  header: string[];
  /** Data records, each as long as the header. */
  rows: string[][];
  /** 1-based line of the file where each row starts. */
  lines: number[];
}

/**
 * Splits CSV text into header and records (RFC 4180: comma-separated, fields optionally in double
 * quotes with "" for a quote, CRLF or LF line ends). A UTF-8 byte-order mark and blank lines are
 * ignored; a record with a different field count than the header is an error.
 *
 * @example
 * parseCsv('label,score\n1,0.8\n0,"0.3"\n');
 * // { header: ['label', 'score'], rows: [['1', '0.8'], ['0', '0.3']], lines: [2, 3] }
 */
export function parseCsv(text: string): CsvTable {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0]!.trim() === '';
    if (!blank) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += c;
  }
  if (quoted)
    throw new CsvInputError(
      `line ${recordLine}: a quoted field is never closed; add the closing "`,
      recordLine,
      null,
    );
  if (field !== '' || fields.length > 0) endRecord();

  const head = records.shift();
  if (!head)
    throw new CsvInputError('the file is empty; expected a header line such as "label,score"', null, null);
  const header = head.fields.map((h) => h.trim());
  header.forEach((h, j) => {
    if (header.indexOf(h) !== j)
      throw new CsvInputError(`line ${head.line}: column "${h}" appears twice in the header`, head.line, h);
  });
  for (const r of records) {
    if (r.fields.length !== header.length) {
      throw new CsvInputError(
        `line ${r.line}: ${r.fields.length} fields, expected ${header.length} like the header (${header.join(',')})`,
        r.line,
        null,
      );
    }
  }
  return { header, rows: records.map((r) => r.fields), lines: records.map((r) => r.line) };
}

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
  const table = parseCsv(text);
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
