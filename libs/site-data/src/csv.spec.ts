import { describe, expect, it } from '@jest/globals';
import { CsvInputError, csvField, formatCsv, parseCsv, parseCsvRecords } from './csv';

// Expected values are read off the CSV text by hand (RFC 4180 §2 quoting rules).
describe('parseCsvRecords', () => {
  it('reads RFC 4180 quoting, CRLF, a byte-order mark and blank lines, with the line of each record', () => {
    expect(parseCsvRecords('\ufeffa,b\r\n1,"x, ""y"""\r\n\r\n2,\n3,"two\nlines"\n4')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', 'x, "y"'], line: 2 },
      { fields: ['2', ''], line: 4 },
      { fields: ['3', 'two\nlines'], line: 5 },
      { fields: ['4'], line: 7 },
    ]);
  });

  it('keeps records of any length and names the line of an unclosed quote', () => {
    expect(parseCsvRecords('a,b\n1\n1,2,3\n').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1'],
      ['1', '2', '3'],
    ]);
    expect(() => parseCsvRecords('a,b\n1,"2\n')).toThrow(
      new CsvInputError('line 2: a quoted field is never closed; add the closing "', 2, null),
    );
  });
});

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

  it('rejects an empty file (quoting the expected header) and a duplicated column', () => {
    expect(() => parseCsv('')).toThrow('the file is empty; expected a header line');
    expect(() => parseCsv('\n\n', { expectedHeader: 'label,score' })).toThrow(
      'the file is empty; expected a header line such as "label,score"',
    );
    expect(() => parseCsv('a,a\n1,2')).toThrow('column "a" appears twice');
  });
});

describe('csvField and formatCsv', () => {
  it('quote as RFC 4180 §2 rules 6 and 7 require', () => {
    expect(csvField('scan-01.png')).toBe('scan-01.png');
    expect(csvField('a,b.png')).toBe('"a,b.png"');
    expect(csvField('say "hi".png')).toBe('"say ""hi"".png"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(
      formatCsv([
        ['image', 'p'],
        ['a,b.png', '0.5'],
      ]),
    ).toBe('image,p\n"a,b.png",0.5\n');
  });

  it('round-trip through parseCsv', () => {
    const rows = [
      ['id', 'note'],
      ['1', 'a, "b"'],
      ['2', 'two\r\nlines'],
      ['3', ''],
    ];
    const table = parseCsv(formatCsv(rows));
    expect([table.header, ...table.rows]).toEqual(rows);
  });
});
