import { describe, expect, it } from '@jest/globals';
import { readSiteFolder } from '@fedaln/site-data';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeRgb } from '../images/decode';
import { siteImageOpener } from './site-images';

const DICOM_FIXTURES = path.join(__dirname, '..', 'images', 'dicom', 'fixtures');

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

describe('siteImageOpener with readSiteFolder', () => {
  it('keeps the decoded images at the input size; missing and broken images are bad rows naming the file', async () => {
    const dir = await siteFolder(
      [
        'case_id,image,aln_metastasis,split',
        'c1,img/a.png,1,train',
        'c2,img/b.png,0,test',
        'c3,img/missing.png,0,train',
        'c4,img/broken.png,1,train',
      ].join('\n'),
      ['a.png', 'b.png'],
    );
    const site = await readSiteFolder(dir, { seed: 1, openImage: siteImageOpener(8) });
    expect(site.cases.map((c) => c.caseId)).toEqual(['c1', 'c2']);
    expect(site.cases[0]!.image).toHaveLength(8 * 8 * 3);
    expect(site.bad.map((b) => [b.line, b.caseId])).toEqual([
      [4, 'c3'],
      [5, 'c4'],
    ]);
    expect(site.bad[0]!.reason).toContain(path.join(dir, 'img', 'missing.png'));
    expect(site.bad[1]!.reason).toContain('broken.png');
  });

  it('without an input size only checks the images, keeping none', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `p${i},img/a.png,${i < 5 ? 1 : 0}`);
    const dir = await siteFolder(['case_id,image,aln_metastasis', ...rows].join('\n'), ['a.png']);
    const site = await readSiteFolder(dir, { seed: 3, openImage: siteImageOpener() });
    expect(site.cases).toHaveLength(10);
    expect(site.cases[0]!.image).toBeUndefined();
    expect(await siteImageOpener()(path.join(dir, 'img', 'a.png'))).toBeUndefined();
    await expect(siteImageOpener()(path.join(dir, 'img', 'broken.png'))).rejects.toThrow(/cannot decode image .*broken\.png/);
  });

  it('reads DICOM by content whatever its name, with the frame column, and refuses what it cannot read', async () => {
    const dir = await siteFolder(
      [
        'case_id,image,aln_metastasis,split,frame',
        'c1,img/cine.png,1,train,4',
        'c2,img/cine.png,0,test,',
        'c3,img/be.dcm,0,train,',
      ].join('\n'),
      [],
    );
    // A DICOM file named .png: the content decides, not the extension.
    await copyFile(path.join(DICOM_FIXTURES, 'cine4-rle.dcm'), path.join(dir, 'img', 'cine.png'));
    await copyFile(path.join(DICOM_FIXTURES, 'big-endian.dcm'), path.join(dir, 'img', 'be.dcm'));
    const site = await readSiteFolder(dir, { seed: 1, openImage: siteImageOpener(8) });
    expect(site.cases.map((c) => c.caseId)).toEqual(['c1', 'c2']);
    const frame = async (f: number | null): Promise<number[]> =>
      Array.from(await siteImageOpener(8)(path.join(dir, 'img', 'cine.png'), { line: 2, frame: f })!.then((x) => x!));
    expect(Array.from(site.cases[0]!.image!)).toEqual(await frame(4));
    expect(Array.from(site.cases[1]!.image!)).toEqual(await frame(2)); // middle of 4
    expect(await frame(4)).not.toEqual(await frame(2));
    expect(site.bad.map((b) => [b.line, b.caseId])).toEqual([[4, 'c3']]);
    expect(site.bad[0]!.reason).toContain('1.2.840.10008.1.2.2 (Explicit VR Big Endian)');
    expect(await decodeRgb(path.join(dir, 'img', 'cine.png'), 8)).toHaveLength(8 * 8 * 3);
  });
});
