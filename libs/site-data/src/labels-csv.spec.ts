import { describe, expect, it } from '@jest/globals';
import { formatLabelsCsv, parseLabelsCsv } from './labels-csv';

describe('parseLabelsCsv', () => {
  it('keeps good rows with their features, and each bad row with its line and reason', () => {
    const t = parseLabelsCsv(
      [
        'case_id,image,aln_metastasis,split,size_mm,note',
        'c1,img/a.png,1,train,21.5,"left, upper"',
        'c2,img/b.png,0,Test,,x',
        '',
        'c3,img/c.png,2,train,10,',
        ',img/c.png,1,train,10,',
        'c4,img/c.png,0,validation,10,',
        'c5,img/c.png,0,train',
        'c6, ,0,,12,',
        'c7,img/d.png,1,,12,',
      ].join('\r\n'),
    );
    expect(t.columns).toEqual(['case_id', 'image', 'aln_metastasis', 'split', 'size_mm', 'note']);
    expect(t.featureColumns).toEqual(['size_mm', 'note']);
    expect(t.hasSplitColumn).toBe(true);
    expect(t.records).toEqual([
      {
        line: 2,
        caseId: 'c1',
        image: 'img/a.png',
        label: 1,
        split: 'train',
        frame: null,
        features: { size_mm: 21.5, note: 'left, upper' },
      },
      {
        line: 3,
        caseId: 'c2',
        image: 'img/b.png',
        label: 0,
        split: 'test',
        frame: null,
        features: { size_mm: null, note: 'x' },
      },
      {
        line: 10,
        caseId: 'c7',
        image: 'img/d.png',
        label: 1,
        split: null,
        frame: null,
        features: { size_mm: 12, note: null },
      },
    ]);
    expect(t.bad).toEqual([
      { line: 5, caseId: 'c3', reason: 'aln_metastasis is "2", expected 0 or 1' },
      { line: 6, caseId: null, reason: 'case_id is empty' },
      { line: 7, caseId: 'c4', reason: 'split is "validation", expected train, test or empty' },
      { line: 8, caseId: 'c5', reason: 'has 4 fields, the header has 6' },
      { line: 9, caseId: 'c6', reason: 'image is empty' },
    ]);
  });

  it('reads the frame column as a 1-based frame number, not a feature', () => {
    const t = parseLabelsCsv(
      'case_id,image,aln_metastasis,frame,size_mm\nc1,a.dcm,1,12,20\nc2,b.dcm,0,,9\nc3,c.dcm,0,0,9\nc4,d.dcm,1,2.5,9\n',
    );
    expect(t.featureColumns).toEqual(['size_mm']);
    expect(t.records.map((r) => [r.caseId, r.frame, r.features])).toEqual([
      ['c1', 12, { size_mm: 20 }],
      ['c2', null, { size_mm: 9 }],
    ]);
    expect(t.bad.map((b) => b.reason)).toEqual([
      'frame is "0", expected a frame number from 1 or empty for the middle frame',
      'frame is "2.5", expected a frame number from 1 or empty for the middle frame',
    ]);
  });

  it('fails on a missing required column or an unclosed quote, naming the file', () => {
    expect(() => parseLabelsCsv('case_id,img,label\n', '/data/labels.csv')).toThrow(
      '/data/labels.csv lacks column(s) image, aln_metastasis; expected a header starting ' +
        'case_id,image,aln_metastasis[,split][,feature columns], got "case_id,img,label"',
    );
    expect(() => parseLabelsCsv('')).toThrow('labels.csv lacks column(s) case_id, image, aln_metastasis');
    expect(() => parseLabelsCsv('case_id,image,aln_metastasis\nc1,"a.png,1\n')).toThrow(
      'labels.csv line 2: a quoted field is never closed',
    );
  });
});

describe('formatLabelsCsv', () => {
  it('writes the header and rows that parseLabelsCsv reads back', () => {
    const text = formatLabelsCsv(
      [
        {
          caseId: 'c1',
          image: 'images/c1.png',
          label: 1,
          split: 'test',
          features: { size_mm: '21.0', shape: 'oval' },
        },
        { caseId: 'c,2', image: 'images/c2.png', label: 0, split: null, features: { size_mm: 9.5 } },
      ],
      { withSplit: true, featureColumns: ['size_mm', 'shape'] },
    );
    expect(text).toBe(
      'case_id,image,aln_metastasis,split,size_mm,shape\nc1,images/c1.png,1,test,21.0,oval\n"c,2",images/c2.png,0,,9.5,\n',
    );
    const back = parseLabelsCsv(text);
    expect(back.records.map((r) => [r.caseId, r.split, r.features])).toEqual([
      ['c1', 'test', { size_mm: 21, shape: 'oval' }],
      ['c,2', null, { size_mm: 9.5, shape: null }],
    ]);
    expect(formatLabelsCsv([], { withSplit: false, featureColumns: [] })).toBe(
      'case_id,image,aln_metastasis\n',
    );
  });
});
