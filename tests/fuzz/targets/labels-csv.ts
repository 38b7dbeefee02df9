import { CsvInputError, parseLabelsCsv } from '@fedaln/site-data';
import { allowOnly, expectThat, utf8, type FuzzTarget } from '../support/fuzz-target';

/**
 * `parseLabelsCsv` (libs/site-data labels-csv.ts) on arbitrary text: refuses the whole file with a
 * CsvInputError only (a missing required column, an unclosed quote); otherwise every data record is
 * either a record whose cells are valid or a bad row with a reason, on distinct increasing lines of
 * the file, never more rows than the file has lines.
 */
export const labelsCsv: FuzzTarget = {
  name: 'labels-csv',
  description: 'parseLabelsCsv(text); documented refusal: CsvInputError',
  dictionary: [
    'case_id',
    'image',
    'aln_metastasis',
    'split',
    'frame',
    'train',
    'test',
    'TEST',
    ',',
    '"',
    '""',
    '\n',
    '\r\n',
    '\r',
    '\ufeff',
    '__proto__',
    'constructor',
    'NaN',
    '1e309',
  ],
  maxLength: 4096,
  run(data) {
    const text = utf8(data);
    let table;
    try {
      table = parseLabelsCsv(text);
    } catch (e) {
      allowOnly(e, CsvInputError);
      const { line } = e as CsvInputError;
      expectThat(line === null || (Number.isInteger(line) && line >= 1), () => `error line ${line}`);
      return;
    }
    const fileLines = text.split(/\r\n|\r|\n/).length;
    const lines = [...table.records.map((r) => r.line), ...table.bad.map((b) => b.line)].sort(
      (a, b) => a - b,
    );
    expectThat(
      lines.every(
        (l, i) => Number.isInteger(l) && l >= 2 && l <= fileLines && (i === 0 || l > lines[i - 1]!),
      ),
      () => `row lines ${lines.join(',')} are not distinct lines 2..${fileLines}`,
    );
    for (const r of table.records) {
      expectThat(
        r.caseId !== '' && r.caseId === r.caseId.trim(),
        () => `case id ${JSON.stringify(r.caseId)}`,
      );
      expectThat(r.image !== '' && r.image === r.image.trim(), () => `image ${JSON.stringify(r.image)}`);
      expectThat(r.label === 0 || r.label === 1, () => `label ${r.label}`);
      expectThat(r.split === null || r.split === 'train' || r.split === 'test', () => `split ${r.split}`);
      expectThat(
        r.frame === null || (Number.isInteger(r.frame) && r.frame >= 1 && r.frame <= 999_999),
        () => `frame ${r.frame}`,
      );
      const keys = Object.keys(r.features);
      expectThat(
        keys.length === new Set(table.featureColumns).size &&
          keys.every((k) => table.featureColumns.includes(k)),
        () => `features ${keys.join(',')} are not the feature columns ${table.featureColumns.join(',')}`,
      );
      expectThat(
        Object.getPrototypeOf(r.features) === Object.prototype,
        () => 'a feature column changed the features object prototype',
      );
      for (const v of Object.values(r.features)) {
        expectThat(
          v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)),
          () => `feature value ${String(v)}`,
        );
      }
    }
    for (const b of table.bad) expectThat(b.reason.length > 0, () => `bad row ${b.line} without a reason`);
  },
};
