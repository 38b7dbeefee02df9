/**
 * `labels.csv` text ↔ rows (DESIGN.md "Data at a site"), pure. Reading checks each row on its own
 * (field count, case id, label, split, image) and keeps the bad ones with a reason instead of
 * failing; what needs the folder (duplicate case ids among usable rows, readable images, the seeded
 * split) is `readSiteFolder`'s.
 */
import { CsvInputError, formatCsv, parseCsvRecords } from './csv';
import {
  CASE_ID_COLUMN,
  FRAME_COLUMN,
  IMAGE_COLUMN,
  LABEL_COLUMN,
  LABELS_FILE,
  LABELS_HEADER,
  REQUIRED_COLUMNS,
  SPLIT_COLUMN,
  type Split,
} from './labels-schema';

/** A feature cell: numeric text becomes a number, empty becomes null, other text stays. */
export type FeatureValue = number | string | null;

/** A row of labels.csv that was skipped, and why. */
export interface BadRow {
  /** 1-based line number in labels.csv (the header is line 1). */
  line: number;
  caseId: string | null;
  reason: string;
}

/** A row that passed the checks of its own cells. */
export interface LabelsRecord {
  line: number;
  caseId: string;
  /** The image path as written, relative to the site folder. */
  image: string;
  label: 0 | 1;
  /** The split column's value; null when the column is absent or the cell empty. */
  split: Split | null;
  /** The `frame` column's value (1-based); null when the column is absent or the cell empty. */
  frame: number | null;
  /** Every column besides the required ones, `split` and `frame` (e.g. ultrasound features). */
  features: Record<string, FeatureValue>;
}

export interface LabelsTable {
  columns: string[];
  featureColumns: string[];
  hasSplitColumn: boolean;
  records: LabelsRecord[];
  bad: BadRow[];
}

function featureValue(value: string): FeatureValue {
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/**
 * Parses labels.csv text; `file` names it in errors.
 *
 * @throws CsvInputError when a required column is missing or a quoted field is never closed.
 * @example
 * const t = parseLabelsCsv('case_id,image,aln_metastasis,size_mm\nc1,a.png,1,21.5\nc2,b.png,2,9\n');
 * t.records[0]; // { line: 2, caseId: 'c1', image: 'a.png', label: 1, split: null, features: { size_mm: 21.5 } }
 * t.bad[0].reason; // 'aln_metastasis is "2", expected 0 or 1'
 */
export function parseLabelsCsv(text: string, file = LABELS_FILE): LabelsTable {
  let rows;
  try {
    rows = parseCsvRecords(text);
  } catch (e) {
    if (!(e instanceof CsvInputError)) throw e;
    throw new CsvInputError(`${file} ${e.message}`, e.line, e.column);
  }
  const [header, ...records] = rows;
  const columns = (header?.fields ?? []).map((c) => c.trim());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new CsvInputError(
      `${file} lacks column(s) ${missing.join(', ')}; expected a header starting ` +
        `${LABELS_HEADER}, got "${columns.join(',')}"`,
      1,
      missing[0]!,
    );
  }
  const col = (name: string): number => columns.indexOf(name);
  const splitCol = col(SPLIT_COLUMN);
  const frameCol = col(FRAME_COLUMN);
  const featureColumns = columns.filter(
    (c) => !(REQUIRED_COLUMNS as readonly string[]).includes(c) && c !== SPLIT_COLUMN && c !== FRAME_COLUMN,
  );

  const out: LabelsTable = { columns, featureColumns, hasSplitColumn: splitCol >= 0, records: [], bad: [] };
  for (const { fields, line } of records) {
    const caseId = (fields[col(CASE_ID_COLUMN)] ?? '').trim();
    const reject = (reason: string): void => void out.bad.push({ line, caseId: caseId || null, reason });
    if (fields.length !== columns.length) {
      reject(`has ${fields.length} fields, the header has ${columns.length}`);
      continue;
    }
    if (!caseId) {
      reject(`${CASE_ID_COLUMN} is empty`);
      continue;
    }
    const labelText = (fields[col(LABEL_COLUMN)] ?? '').trim();
    if (labelText !== '0' && labelText !== '1') {
      reject(`${LABEL_COLUMN} is "${labelText}", expected 0 or 1`);
      continue;
    }
    const splitText = splitCol >= 0 ? (fields[splitCol] ?? '').trim().toLowerCase() : '';
    if (splitText !== '' && splitText !== 'train' && splitText !== 'test') {
      reject(`${SPLIT_COLUMN} is "${splitText}", expected train, test or empty`);
      continue;
    }
    const image = (fields[col(IMAGE_COLUMN)] ?? '').trim();
    if (!image) {
      reject(`${IMAGE_COLUMN} is empty`);
      continue;
    }
    const frameText = frameCol >= 0 ? (fields[frameCol] ?? '').trim() : '';
    if (frameText !== '' && !/^[1-9][0-9]{0,5}$/.test(frameText)) {
      reject(
        `${FRAME_COLUMN} is "${frameText}", expected a frame number from 1 or empty for the middle frame`,
      );
      continue;
    }
    out.records.push({
      line,
      caseId,
      image,
      label: labelText === '1' ? 1 : 0,
      split: splitText === '' ? null : splitText,
      frame: frameText === '' ? null : Number(frameText),
      features: Object.fromEntries(featureColumns.map((c) => [c, featureValue(fields[col(c)] ?? '')])),
    });
  }
  return out;
}

/** A row to write. */
export interface LabelsRow {
  caseId: string;
  image: string;
  label: 0 | 1;
  split?: Split | null;
  /** Cells by feature column; numbers are written with `String`, null and missing as empty. */
  features?: Readonly<Record<string, FeatureValue | undefined>>;
}

/**
 * labels.csv text: `case_id,image,aln_metastasis`, then `split` when `withSplit`, then
 * `featureColumns`; fields quoted as RFC 4180 requires, `\n` line ends.
 *
 * @example
 * formatLabelsCsv([{ caseId: 'c1', image: 'a.png', label: 1, split: 'test' }], { withSplit: true, featureColumns: [] });
 * // 'case_id,image,aln_metastasis,split\nc1,a.png,1,test\n'
 */
export function formatLabelsCsv(
  rows: readonly LabelsRow[],
  options: { withSplit: boolean; featureColumns: readonly string[] },
): string {
  const header = [
    ...REQUIRED_COLUMNS,
    ...(options.withSplit ? [SPLIT_COLUMN] : []),
    ...options.featureColumns,
  ];
  const cell = (v: FeatureValue | undefined): string => (v === null || v === undefined ? '' : String(v));
  return formatCsv([
    header,
    ...rows.map((r) => [
      r.caseId,
      r.image,
      String(r.label),
      ...(options.withSplit ? [r.split ?? ''] : []),
      ...options.featureColumns.map((c) => cell(r.features?.[c])),
    ]),
  ]);
}
