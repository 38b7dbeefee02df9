/**
 * RFC 4180 CSV, read and written, for `labels.csv`, predictions files and the site client's
 * output: comma-separated fields, optionally in double quotes with "" for a quote, CRLF or LF line
 * ends. A full CSV dependency is not worth it for small, well-formed files. Pure: text in, text out.
 * Errors name the line, so a hospital can find the cell to fix.
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

/** One record and the 1-based line of the file where it starts (a quoted field may span lines). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into records, each as many fields as it has. A UTF-8 byte-order mark and blank
 * lines are skipped; a quote opens a quoted field only at the start of a field (leading blanks
 * before it are dropped).
 *
 * @throws CsvInputError when a quoted field is never closed.
 * @example parseCsvRecords('a,b\n1,"x, ""y"""\n') // [{ fields: ['a', 'b'], line: 1 }, { fields: ['1', 'x, "y"'], line: 2 }]
 */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first header
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
  return records;
}

export interface CsvTable {
  header: string[];
  /** Data records, each as long as the header. */
  rows: string[][];
  /** 1-based line of the file where each row starts. */
  lines: number[];
}

/**
 * Header (trimmed names) and records of CSV text, every record as long as the header.
 * `expectedHeader` (e.g. `label,score`) is quoted in the error for an empty file.
 *
 * @throws CsvInputError for an empty file, a column named twice, a record with another field count
 *   than the header, or an unclosed quote.
 * @example
 * parseCsv('label,score\n1,0.8\n0,"0.3"\n');
 * // { header: ['label', 'score'], rows: [['1', '0.8'], ['0', '0.3']], lines: [2, 3] }
 */
export function parseCsv(text: string, options: { expectedHeader?: string } = {}): CsvTable {
  const records = parseCsvRecords(text);
  const head = records.shift();
  if (!head) {
    const example = options.expectedHeader ? ` such as "${options.expectedHeader}"` : '';
    throw new CsvInputError(`the file is empty; expected a header line${example}`, null, null);
  }
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

/**
 * A CSV field as RFC 4180 §2 writes it: quoted when it holds a comma, a quote or a line break, with
 * inner quotes doubled.
 *
 * @example csvField('a,b.png') // '"a,b.png"'
 */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * CSV text of `rows` (the header is the first row), `\n` line ends and a final newline.
 * @example formatCsv([['image', 'probability'], ['a,b.png', '0.5']]) // 'image,probability\n"a,b.png",0.5\n'
 */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
