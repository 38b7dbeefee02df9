import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { parseCsv } from './csv';
import { readSiteFolder } from './site-folder';
import { stratifiedSplit } from './split';

describe('parseCsv', () => {
  it('reads RFC 4180 quoting, CRLF and a byte-order mark', () => {
    expect(parseCsv('\ufeffa,b\r\n1,"x, ""y"""\r\n\r\n2,\n')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
      ['2', ''],
    ]);
  });
});

describe('stratifiedSplit', () => {
  it('puts round(0.2·n_c) of each class in test, reproducibly per seed', () => {
    const labels = [...Array(50).fill(0), ...Array(30).fill(1)] as (0 | 1)[];
    const split = stratifiedSplit(labels, 0.2, 11);
    const testOf = (c: number) => labels.filter((y, i) => y === c && split[i] === 'test').length;
    expect([testOf(0), testOf(1)]).toEqual([10, 6]);
    expect(stratifiedSplit(labels, 0.2, 11)).toEqual(split);
    expect(stratifiedSplit(labels, 0.2, 12)).not.toEqual(split);
  });
});

async function siteFolder(csv: string, images: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fedaln-site-'));
  await mkdir(path.join(dir, 'img'));
  for (const name of images) {
    await sharp({ create: { width: 12, height: 9, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .grayscale()
      .png()
      .toFile(path.join(dir, 'img', name));
  }
  await writeFile(path.join(dir, 'img', 'broken.png'), 'not a png');
  await writeFile(path.join(dir, 'labels.csv'), csv);
  return dir;
}

describe('readSiteFolder', () => {
  it('keeps good rows, reports each bad row with its reason, counts classes per split', async () => {
    const dir = await siteFolder(
      [
        'case_id,image,aln_metastasis,split,size_mm',
        'c1,img/a.png,1,train,21.5',
        'c2,img/b.png,0,test,',
        'c3,img/missing.png,0,train,10',
        'c4,img/broken.png,1,train,10',
        'c5,img/a.png,2,train,10',
        'c1,img/b.png,0,train,10',
        'c6,img/b.png,1,validation,10',
        'c7,img/b.png,0,train',
        'c8,img/b.png,0,,12',
      ].join('\n'),
      ['a.png', 'b.png'],
    );
    const site = await readSiteFolder(dir, { seed: 1, inputSize: 8 });
    expect(site.cases.map((c) => [c.caseId, c.label, c.split])).toEqual([
      ['c1', 1, 'train'],
      ['c2', 0, 'test'],
      ['c8', 0, expect.stringMatching(/^(train|test)$/)],
    ]);
    expect(site.cases[0]!.features).toEqual({ size_mm: 21.5 });
    expect(site.cases[1]!.features).toEqual({ size_mm: null });
    expect(site.cases[0]!.image).toHaveLength(8 * 8 * 3);
    expect(site.bad.map((b) => [b.line, b.caseId])).toEqual([
      [4, 'c3'],
      [5, 'c4'],
      [6, 'c5'],
      [7, 'c1'],
      [8, 'c6'],
      [9, 'c7'],
    ]);
    expect(site.bad[0]!.reason).toContain(path.join(dir, 'img', 'missing.png'));
    expect(site.bad[1]!.reason).toContain('broken.png');
    expect(site.bad[2]!.reason).toBe('aln_metastasis is "2", expected 0 or 1');
    expect(site.bad[3]!.reason).toBe('case_id "c1" repeats an earlier row');
    expect(site.bad[4]!.reason).toBe('split is "validation", expected train, test or empty');
    expect(site.bad[5]!.reason).toBe('has 4 fields, the header has 5');
    expect(site.splitSource).toBe('column');
    expect(site.featureColumns).toEqual(['size_mm']);
    const c8Train = site.cases[2]!.split === 'train' ? 1 : 0;
    expect(site.counts).toEqual({
      train: { negative: c8Train, positive: 1 },
      test: { negative: 2 - c8Train, positive: 0 },
    });
    expect(site.warnings).toEqual([expect.stringContaining('the test split has')]);
  });

  it('splits 80/20 stratified when there is no split column, without keeping images', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `p${i},img/a.png,${i < 5 ? 1 : 0}`);
    const dir = await siteFolder(['case_id,image,aln_metastasis', ...rows].join('\n'), ['a.png']);
    const site = await readSiteFolder(dir, { seed: 3 });
    expect(site.splitSource).toBe('seeded');
    expect(site.counts).toEqual({ train: { negative: 4, positive: 4 }, test: { negative: 1, positive: 1 } });
    expect(site.cases[0]!.image).toBeUndefined();
    expect(site.warnings).toEqual([]);
  });

  it('fails on a missing labels.csv or required column, naming the file and columns', async () => {
    const dir = await siteFolder('case_id,img,label\n', []);
    await expect(readSiteFolder(dir, { seed: 1 })).rejects.toThrow('lacks column(s) image, aln_metastasis');
    await expect(readSiteFolder(path.join(dir, 'nowhere'), { seed: 1 })).rejects.toThrow(
      `cannot read ${path.join(dir, 'nowhere', 'labels.csv')}`,
    );
  });
});
