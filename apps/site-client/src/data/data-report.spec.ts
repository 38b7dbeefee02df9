import { describe, expect, it } from '@jest/globals';
import { formatDataReport } from './data-report';
import { dataSufficiency } from './data-sufficiency';

describe('formatDataReport', () => {
  const counts = { train: { negative: 20, positive: 12 }, test: { negative: 5, positive: 3 } };
  const bad = [
    { line: 3, caseId: 'c2', reason: 'aln_metastasis is "2", expected 0 or 1' },
    { line: 7, caseId: null, reason: 'case_id is empty' },
    { line: 9, caseId: 'c8', reason: 'cannot decode image x.png' },
  ];

  it('totals usable cases by split and class and lists skipped rows with their line', () => {
    const lines = formatDataReport({
      dir: '/data/site',
      counts,
      bad,
      splitSource: 'seeded',
      seed: 7,
      sufficiency: dataSufficiency(counts, 2),
      maxListed: 2,
    });
    // 20 + 12 + 5 + 3 = 40 usable cases.
    expect(lines).toEqual([
      'data: /data/site',
      '  usable cases: 40 (train 32: 12 positive, 20 negative; test 8: 3 positive, 5 negative)',
      '  split: seeded stratified 80/20 (seed 7); add a split column to labels.csv to fix it yourself',
      '  skipped rows: 3 (not used; fix them in labels.csv or the image files)',
      '    labels.csv line 3 (c2): aln_metastasis is "2", expected 0 or 1',
      '    labels.csv line 7: case_id is empty',
      '    … and 1 more',
      '  can train: yes; can evaluate: yes',
    ]);
  });

  it('adds each sufficiency problem', () => {
    const short = { ...counts, test: { negative: 5, positive: 0 } };
    const lines = formatDataReport({
      dir: '/d',
      counts: short,
      bad: [],
      splitSource: 'column',
      seed: 1,
      sufficiency: dataSufficiency(short, 2),
    });
    expect(lines).toContain('  skipped rows: none');
    expect(lines.filter((l) => l.startsWith('  problem: test split: 0 positive cases'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('  can train: yes; can evaluate: no');
  });
});
