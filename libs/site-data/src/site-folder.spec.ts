import { describe, expect, it } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { countClasses, readSiteFolder, type OpenImage } from './site-folder';

async function siteFolder(csv: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fedaln-site-'));
  await writeFile(path.join(dir, 'labels.csv'), csv);
  return dir;
}

/** An image opener over a fixed set of names: `broken.png` fails to decode, unknown names are missing. */
const opener =
  (names: string[], keep?: Float32Array): OpenImage =>
  (imagePath) => {
    const name = path.basename(imagePath);
    if (name === 'broken.png') return Promise.reject(new Error(`cannot decode image ${imagePath}`));
    if (!names.includes(name)) return Promise.reject(new Error(`no such image ${imagePath}`));
    return Promise.resolve(keep);
  };

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
    );
    const pixels = new Float32Array(3);
    const site = await readSiteFolder(dir, {
      seed: 1,
      openImage: opener(['a.png', 'b.png', 'broken.png'], pixels),
    });
    expect(site.cases.map((c) => [c.caseId, c.label, c.split])).toEqual([
      ['c1', 1, 'train'],
      ['c2', 0, 'test'],
      ['c8', 0, expect.stringMatching(/^(train|test)$/)],
    ]);
    expect(site.cases[0]!.features).toEqual({ size_mm: 21.5 });
    expect(site.cases[1]!.features).toEqual({ size_mm: null });
    expect(site.cases[0]!.imagePath).toBe(path.join(dir, 'img', 'a.png'));
    expect(site.cases[0]!.image).toBe(pixels);
    expect(site.bad.map((b) => [b.line, b.caseId])).toEqual([
      [4, 'c3'],
      [5, 'c4'],
      [6, 'c5'],
      [7, 'c1'],
      [8, 'c6'],
      [9, 'c7'],
    ]);
    expect(site.bad[0]!.reason).toBe(`no such image ${path.join(dir, 'img', 'missing.png')}`);
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

  it('a row whose image fails does not claim its case id', async () => {
    const dir = await siteFolder('case_id,image,aln_metastasis\nc1,broken.png,1\nc1,a.png,1\n');
    const site = await readSiteFolder(dir, { seed: 1, openImage: opener(['a.png']) });
    expect(site.cases.map((c) => [c.caseId, path.basename(c.imagePath)])).toEqual([['c1', 'a.png']]);
    expect(site.bad.map((b) => b.line)).toEqual([2]);
  });

  it('splits 80/20 stratified when there is no split column, keeping no image the opener did not return', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `p${i},img/a.png,${i < 5 ? 1 : 0}`);
    const dir = await siteFolder(['case_id,image,aln_metastasis', ...rows].join('\n'));
    const site = await readSiteFolder(dir, { seed: 3, openImage: opener(['a.png']) });
    expect(site.splitSource).toBe('seeded');
    expect(site.counts).toEqual({ train: { negative: 4, positive: 4 }, test: { negative: 1, positive: 1 } });
    expect(site.cases[0]!.image).toBeUndefined();
    expect('image' in site.cases[0]!).toBe(false);
    expect(site.warnings).toEqual([]);
  });

  it('fails on a missing labels.csv or required column, naming the file and columns', async () => {
    const dir = await siteFolder('case_id,img,label\n');
    const openImage = opener([]);
    await expect(readSiteFolder(dir, { seed: 1, openImage })).rejects.toThrow(
      `${path.join(dir, 'labels.csv')} lacks column(s) image, aln_metastasis`,
    );
    await expect(readSiteFolder(path.join(dir, 'nowhere'), { seed: 1, openImage })).rejects.toThrow(
      `cannot read ${path.join(dir, 'nowhere', 'labels.csv')}`,
    );
  });
});

describe('countClasses', () => {
  it('counts each class per split', () => {
    expect(
      countClasses([
        { split: 'train', label: 1 },
        { split: 'train', label: 0 },
        { split: 'test', label: 0 },
      ]),
    ).toEqual({ train: { negative: 1, positive: 1 }, test: { negative: 1, positive: 0 } });
  });
});
