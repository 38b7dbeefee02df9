import { describe, expect, it } from '@jest/globals';
import { ProgressLine } from './progress-line';
import { formatMb, renderBar } from './render-bar';

describe('renderBar', () => {
  it('fills ⌊width · done/total⌋ characters and floors the percentage', () => {
    // 2/3 of 10 = 6.67 → 6 filled, 66%.
    expect(renderBar({ label: 'upload', done: 2, total: 3, width: 10, detail: '1.0 MB/s' })).toBe(
      'upload [######....]  66% 1.0 MB/s',
    );
    expect(renderBar({ label: 'x', done: 5, total: 5, width: 4 })).toBe('x [####] 100%');
    expect(renderBar({ label: 'x', done: 0, total: 0, width: 2 })).toBe('x [##] 100%'); // nothing to do is done
  });

  it('writes MB as 10⁶ bytes', () => {
    expect(formatMb(2_500_000)).toBe('2.5 MB');
  });
});

describe('ProgressLine', () => {
  it('redraws in place on a terminal and ends the line', () => {
    const out: string[] = [];
    let t = 0;
    const line = new ProgressLine({ isTTY: true, write: (s) => out.push(s) > 0 }, 10_000, () => t);
    line.update({ label: 'a', done: 1, total: 4, width: 4 });
    t = 50;
    line.update({ label: 'a', done: 2, total: 4, width: 4 }); // within 100 ms: skipped
    t = 200;
    line.update({ label: 'a', done: 4, total: 4, width: 4 });
    line.end();
    expect(out).toEqual(['\ra [#...]  25%\x1b[K', '\ra [####] 100%\x1b[K', '\n']);
  });

  it('writes plain lines at most every logEveryMs when not a terminal, and always the last', () => {
    const out: string[] = [];
    let t = 0;
    const line = new ProgressLine({ write: (s) => out.push(s) > 0 }, 1000, () => t);
    line.update({ label: 'b', done: 1, total: 10 });
    t = 500;
    line.update({ label: 'b', done: 5, total: 10 });
    t = 600;
    line.update({ label: 'b', done: 10, total: 10 });
    expect(out).toEqual([`b [${'#'.repeat(2)}${'.'.repeat(18)}]  10%\n`, `b [${'#'.repeat(20)}] 100%\n`]);
  });
});
