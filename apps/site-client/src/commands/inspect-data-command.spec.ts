import { describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { InspectedRow } from '../data/inspect-rows';
import { inspectDataCommand } from './inspect-data-command';

/** Fixtures and their pydicom-derived expectations: libs/model/src/images/dicom/fixtures (make_dicom_fixtures.py). */
const FIXTURES = path.join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'libs',
  'model',
  'src',
  'images',
  'dicom',
  'fixtures',
);

async function site(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fedaln-inspect-'));
  await mkdir(path.join(dir, 'img'));
  for (const f of ['cine4-rle.dcm', 'us-regions.dcm', 'big-endian.dcm']) {
    await copyFile(path.join(FIXTURES, f), path.join(dir, 'img', f));
  }
  await sharp({ create: { width: 20, height: 10, channels: 3, background: '#808080' } })
    .png()
    .toFile(path.join(dir, 'img', 'a.png'));
  await writeFile(
    path.join(dir, 'labels.csv'),
    'case_id,image,aln_metastasis,frame\nc1,img/cine4-rle.dcm,1,4\nc2,img/us-regions.dcm,0,\nc3,img/big-endian.dcm,1,\nc4,img/a.png,0,\nc5,img/a.png,2,\n',
  );
  return dir;
}

describe('inspectDataCommand', () => {
  it('prints one JSON line per row, dumps the exact training image, and exits 1 when a row is refused', async () => {
    const dir = await site();
    const out: string[] = [];
    const dump = path.join(dir, 'png');
    const code = await inspectDataCommand(
      { command: 'inspect-data', data: dir, json: true, dumpPng: dump, seed: 1 },
      (l) => out.push(l),
      () => {},
    );
    expect(code).toBe(1);
    const rows = out.map((l) => JSON.parse(l) as InspectedRow);
    expect(
      rows.map((r) => [r.row, r.status, r.transfer_syntax, r.frames, r.frame_used, r.width, r.height]),
    ).toEqual([
      [2, 'ok', '1.2.840.10008.1.2.5', 4, 4, 32, 24],
      [3, 'ok', '1.2.840.10008.1.2.1', 1, 1, 22, 14],
      [4, 'refused', '1.2.840.10008.1.2.2', null, null, null, null],
      [5, 'ok', null, null, null, 20, 10],
      [6, 'refused', null, null, null, null, null],
    ]);
    expect(rows[1]!.region).toEqual({ x0: 6, y0: 2, x1: 27, y1: 15, spacing_mm: [0.1, 0.12] });
    expect(Object.keys(rows[4]!)).toEqual(Object.keys(rows[0]!));
    expect(out.join('\n')).not.toContain('PHANTOM'); // the fixtures' Patient's Name stays out
    expect((await readdir(dump)).sort()).toEqual(['line-2.png', 'line-3.png', 'line-5.png']);
    // line-3.png is the cropped region: pydicom's pixel_array[2:16, 6:28] (expected.json).
    const expected = JSON.parse(await readFile(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<
      string,
      { pixels_base64: string }
    >;
    const file = path.join(dump, 'line-3.png');
    expect((await sharp(file).metadata()).channels).toBe(1);
    const png = await sharp(file).toColourspace('b-w').raw().toBuffer();
    expect(png.toString('base64')).toBe(expected['us-regions.dcm']!.pixels_base64);
  });

  it('prints human lines and exits 0 when every row is usable', async () => {
    const dir = await site();
    await writeFile(path.join(dir, 'labels.csv'), 'case_id,image,aln_metastasis\nc2,img/us-regions.dcm,0\n');
    const out: string[] = [];
    const code = await inspectDataCommand(
      { command: 'inspect-data', data: dir, json: false, dumpPng: undefined, seed: 1 },
      (l) => out.push(l),
      () => {},
    );
    expect(code).toBe(0);
    expect(out).toEqual([
      'line 2 (c2) img/us-regions.dcm: ok, 22×14 px, Explicit VR Little Endian, MONOCHROME2, frame 1 of 1, B-mode region x 6..27 y 2..15 (0.1×0.12 mm/px)',
    ]);
  });
});
