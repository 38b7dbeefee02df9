import { describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SiteData } from './site-data';

/** A 2×2 8-bit gray PNG (value 128), written by hand with zlib (IHDR, one IDAT, IEND). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAADklEQVR4nGNoaGBoaAAABgYCASzBUNcAAAAASUVORK5CYII=',
  'base64',
);

async function folder(rows: string[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-site-data-'));
  await fs.writeFile(path.join(dir, 'ok.png'), PNG);
  await fs.writeFile(path.join(dir, 'broken.png'), 'not an image');
  await fs.writeFile(path.join(dir, 'labels.csv'), ['case_id,image,aln_metastasis,split', ...rows].join('\n'));
  return dir;
}

describe('SiteData.check', () => {
  it('skips bad rows with their line and reason, counts the rest, and judges each split', async () => {
    const dir = await folder([
      'a,ok.png,1,train', // line 2
      'b,ok.png,0,train',
      'c,ok.png,1,train',
      'd,ok.png,0,train',
      'e,ok.png,1,test',
      'f,ok.png,0,test',
      'g,broken.png,1,test', // line 8: unreadable image
      'h,ok.png,yes,test', // line 9: bad label
      'i,missing.png,0,test', // line 10: no such file
    ]);
    const { folder: f, sufficiency, lines } = await new SiteData(dir, 1).check(2);
    expect(f.cases.map((c) => c.caseId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(f.bad.map((b) => b.line)).toEqual([8, 9, 10]);
    // train: 2 positive + 2 negative ≥ 2 each; test: 1 + 1 < 2.
    expect(sufficiency).toMatchObject({ canTrain: true, canEvaluate: false });
    expect(lines).toContain('  skipped rows: 3 (not used; fix them in labels.csv or the image files)');
    expect(lines.some((l) => l.startsWith('    labels.csv line 9 (h): aln_metastasis is "yes"'))).toBe(true);
    expect(lines.some((l) => l.startsWith('    labels.csv line 8 (g): cannot decode image'))).toBe(true);
    await fs.rm(dir, { recursive: true });
  });

  it('decodes the cases of a split at the asked size', async () => {
    const dir = await folder(['a,ok.png,1,train', 'b,ok.png,0,test']);
    const data = new SiteData(dir, 1);
    const test = await data.cases('test', 32);
    expect(test.map((c) => c.caseId)).toEqual(['b']);
    expect(test[0]!.image).toHaveLength(32 * 32 * 3);
    expect((await data.cases('all', 32)).map((c) => c.caseId)).toEqual(['a', 'b']);
    await fs.rm(dir, { recursive: true });
  });
});
