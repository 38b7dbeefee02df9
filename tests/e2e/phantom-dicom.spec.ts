/**
 * Issue 17 acceptance: a phantom site written as DICOM (`fedaln-phantom --format dicom`: the image
 * on a screen with a grayscale bar and burned-in text, named by an ultrasound region) and the PNG
 * site of the same seed give the model identical inputs (the codec is lossless), hence the same
 * training and the same predictions. Both sites are written by the built phantom CLI (real processes).
 */
import { describe, expect, it } from '@jest/globals';
import { buildModel, predictProbabilities, selectEngine, siteImageOpener } from '@fedaln/model';
import { readSiteFolder, type SiteFolder } from '@fedaln/site-data';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { trainModel } from '../../libs/model/src/train/train-model';

const ROOT = path.join(__dirname, '../..');
const SIZE = 32;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fedaln-phantom-dicom-'));

function phantom(format: 'png' | 'dicom'): string {
  const out = path.join(tmp, format);
  const args = [
    '--out',
    out,
    '--sites',
    '1',
    '--cases',
    '24',
    '--size',
    String(SIZE),
    '--seed',
    '11',
    '--format',
    format,
  ];
  const run = spawnSync(process.execPath, [path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'), ...args], {
    encoding: 'utf8',
  });
  if (run.status !== 0)
    throw new Error(`fedaln-phantom ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return path.join(out, 'site1');
}

describe('fedaln-phantom --format dicom', () => {
  const png = phantom('png');
  const dicom = phantom('dicom');
  const read = (dir: string): Promise<SiteFolder> =>
    readSiteFolder(dir, { seed: 1, openImage: siteImageOpener(SIZE) });

  it('writes DICOM that decodes to exactly the PNG site’s model inputs', async () => {
    const [a, b] = await Promise.all([read(png), read(dicom)]);
    expect(b.bad).toEqual([]);
    expect(b.cases).toHaveLength(24);
    expect(
      readFileSync(path.join(dicom, 'images', 'site1-0001.dcm'))
        .subarray(128, 132)
        .toString(),
    ).toBe('DICM');
    // The DICOM screen is larger than the image (bar and text around it): only the region is used.
    expect(b.cases.map((c) => [c.caseId, c.label, c.split, c.features])).toEqual(
      a.cases.map((c) => [c.caseId, c.label, c.split, c.features]),
    );
    b.cases.forEach((c, i) =>
      expect(Buffer.from(c.image!.buffer).equals(Buffer.from(a.cases[i]!.image!.buffer))).toBe(true),
    );
  });

  it('trains and predicts to identical results from either site (densenet-tiny, wasm)', async () => {
    await selectEngine('wasm');
    const run = async (dir: string): Promise<{ losses: number[]; p: Float32Array }> => {
      const site = await read(dir);
      const train = site.cases.filter((c) => c.split === 'train');
      const test = site.cases.filter((c) => c.split === 'test');
      const model = buildModel({ arch: 'densenet-tiny', inputSize: SIZE, head: 'binary', seed: 3 });
      const { epochLosses } = await trainModel(
        model,
        { images: train.map((c) => c.image!), labels: train.map((c) => c.label) },
        { epochs: 1, batchSize: 8, learningRate: 5e-3, seed: 5 },
      );
      const p = await predictProbabilities(
        model,
        test.map((c) => c.image!),
      );
      model.dispose();
      return { losses: epochLosses, p };
    };
    const a = await run(png);
    const b = await run(dicom);
    expect(a.p.length).toBeGreaterThan(0);
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.p)).toEqual(Array.from(a.p));
  });

  it('fedaln-site inspect-data lists every DICOM row with its region and dumps exactly the PNG pixels', async () => {
    const dump = path.join(tmp, 'dump');
    const bin = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');
    const run = spawnSync(
      process.execPath,
      [bin, 'inspect-data', '--data', dicom, '--json', '--dump-png', dump],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toContain('24 rows');
    expect(run.status).toBe(0);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            status: string;
            width: number;
            height: number;
            region: { spacing_mm: number[] };
          },
      );
    expect(rows).toHaveLength(24);
    for (const r of rows) {
      expect([r.status, r.width, r.height]).toEqual(['ok', SIZE, SIZE]);
      expect(r.region.spacing_mm).toEqual([45 / SIZE, 45 / SIZE]); // FIELD_OF_VIEW_MM / size
    }
    expect(readdirSync(dump)).toHaveLength(24);
    const gray = async (file: string): Promise<Buffer> => sharp(file).toColourspace('b-w').raw().toBuffer();
    // line-2 is the first case: the dumped crop is the PNG site's image, pixel for pixel.
    expect(
      (await gray(path.join(dump, 'line-2.png'))).equals(
        await gray(path.join(png, 'images', 'site1-0001.png')),
      ),
    ).toBe(true);
  });
});
