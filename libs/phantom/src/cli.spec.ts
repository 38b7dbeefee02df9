import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REQUIRED_COLUMNS, SPLIT_COLUMN } from '@fedaln/site-data';
import sharp from 'sharp';
import { drawCase, generateCase } from './case';
import { PHANTOM_FEATURE_COLUMNS } from './labels-csv';
import { siteProfile } from './site';

// Spawns the real bin against the built dist (`npm test` builds first; by hand: `npx tsc -b libs/phantom`).
const BIN = join(__dirname, '..', 'bin', 'fedaln-phantom.js');
const DIST = join(__dirname, '..', 'dist', 'cli.js');

function phantom(...args: string[]) {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: build first with \`npx tsc -b libs/phantom\` (npm test does it)`);
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
}

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'fedaln-phantom-'));

describe('fedaln-phantom CLI', () => {
  it('writes sites with labels.csv and PNGs, byte-identical for the same seed', () => {
    const [a, b] = [tmp(), tmp()];
    try {
      const args = ['--sites', '2', '--cases', '10', '--size', '32', '--seed', '5', '--preview'];
      const ra = phantom(...args, '--out', a);
      expect(ra.stderr).toMatch(/20\/20 images/);
      expect(ra.status).toBe(0);
      expect(phantom(...args, '--out', b).status).toBe(0);
      const ha = hashes(a);
      expect(Object.keys(ha)).toHaveLength(2 * (10 + 1) + 1); // images + labels.csv per site, preview.png
      expect(hashes(b)).toEqual(ha);

      const csv = readFileSync(join(a, 'site2', 'labels.csv'), 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe(
        'case_id,image,aln_metastasis,split,size_mm,shape,orientation,margin,echogenic_halo,calcification,spiculation,lobulation,posterior',
      );
      expect(csv[0]!.split(',')).toEqual([...REQUIRED_COLUMNS, SPLIT_COLUMN, ...PHANTOM_FEATURE_COLUMNS]);
      const rows = csv.slice(1).map((l) => l.split(','));
      expect(rows).toHaveLength(10);
      expect(rows[0]!.slice(0, 2)).toEqual(['site2-0001', 'images/site2-0001.png']);
      for (const r of rows) {
        expect(existsSync(join(a, 'site2', r[1]!))).toBe(true);
        expect(['0', '1']).toContain(r[2]);
        expect(['train', 'test']).toContain(r[3]);
        expect(['parallel', 'non-parallel']).toContain(r[6]);
        for (const i of [8, 9, 10, 11]) expect(['0', '1']).toContain(r[i]);
      }
      // PNG signature (RFC 2083 §3.1) and IHDR width/height/bit depth/colour type (8-bit grayscale = 0).
      const png = readFileSync(join(a, 'site1', 'images', 'site1-0001.png'));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
      expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([32, 32, 8, 0]);
      const preview = readFileSync(join(a, 'preview.png'));
      expect(preview[25]).toBe(2); // RGB
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('PNGs decode to exactly the pixels generateCase returns', async () => {
    const dir = tmp();
    try {
      expect(
        phantom('--sites', '2', '--cases', '2', '--size', '40', '--seed', '9', '--out', dir).status,
      ).toBe(0);
      const decoded = await sharp(join(dir, 'site2', 'images', 'site2-0002.png'))
        .toColourspace('b-w')
        .raw()
        .toBuffer();
      expect(decoded.equals(Buffer.from(generateCase(siteProfile(2, 9), 1, 40).pixels))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--version 2 writes v2 pixels and the reads in labels.csv; v1 is the default and unchanged', async () => {
    const [v1, v2] = [tmp(), tmp()];
    try {
      const args = ['--sites', '1', '--cases', '12', '--size', '32', '--seed', '9'];
      expect(phantom(...args, '--out', v1).status).toBe(0);
      expect(phantom(...args, '--version', '2', '--out', v2).status).toBe(0);
      const decoded = (dir: string) =>
        sharp(join(dir, 'site1', 'images', 'site1-0003.png'))
          .toColourspace('b-w')
          .raw()
          .toBuffer();
      expect((await decoded(v1)).equals(Buffer.from(generateCase(siteProfile(1, 9, 1), 2, 32).pixels))).toBe(
        true,
      );
      expect((await decoded(v2)).equals(Buffer.from(generateCase(siteProfile(1, 9, 2), 2, 32).pixels))).toBe(
        true,
      );
      const sizes = (dir: string) =>
        readFileSync(join(dir, 'site1', 'labels.csv'), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => Number(l.split(',')[4]));
      const cases = Array.from({ length: 12 }, (_, i) => drawCase(siteProfile(1, 9, 2), i));
      expect(sizes(v2)).toEqual(cases.map((c) => c.read.sizeMm));
      // v2 writes the reads, not the true sizes; v1 writes the generated values.
      expect(sizes(v2)).not.toEqual(cases.map((c) => c.features.sizeMm));
      expect(sizes(v1)).toEqual(cases.map((_, i) => drawCase(siteProfile(1, 9, 1), i).features.sizeMm));
    } finally {
      rmSync(v1, { recursive: true, force: true });
      rmSync(v2, { recursive: true, force: true });
    }
  });

  it('a different seed gives different images', () => {
    const [a, b] = [tmp(), tmp()];
    try {
      expect(phantom('--sites', '1', '--cases', '2', '--size', '32', '--seed', '1', '--out', a).status).toBe(
        0,
      );
      expect(phantom('--sites', '1', '--cases', '2', '--size', '32', '--seed', '2', '--out', b).status).toBe(
        0,
      );
      expect(hashes(a)['site1/images/site1-0001.png']).not.toBe(hashes(b)['site1/images/site1-0001.png']);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it.each([
    [['--out', 'x', '--size', '8'], /--size "8" is not valid; expected an integer from 16 to 1024/],
    [['--out', 'x', '--cases', '1.5'], /--cases "1\.5" is not valid; expected an integer from 1 to 100000/],
    [['--out', 'x', '--seed'], /--seed needs a value; expected an integer from 0 to 4294967295\n/],
    [['--out', 'x', '--version', '3'], /--version "3" is not a phantom generator version; expected 1 or 2\n/],
    [['--sites', '2'], /--out DIR is required/],
    [['--out', 'x', '--colour'], /unknown flag "--colour"; expected one of --out/],
    [
      ['--out', 'x', '--format', 'tiff'],
      /^fedaln-phantom: --format "tiff" is not a known image format; expected png or dicom\n/,
    ],
    [
      ['--out', 'x', '--color'],
      /^fedaln-phantom: unknown flag "--color"; expected one of --out, --sites, --cases, --size, --seed, --preview, --format, --version \(see fedaln-phantom --help\)\n/,
    ],
    [
      ['--out', '--sites', '2'],
      /^fedaln-phantom: --out needs a value; pass a folder path, e.g. --out data\/phantom\n/,
    ],
    [
      ['--out', 'x', '--sites', '101'],
      /^fedaln-phantom: --sites "101" is not valid; expected an integer from 1 to 100\n/,
    ],
    [['--out', 'x', '--preview=yes'], /^fedaln-phantom: --preview takes no value; write just --preview\n/],
    [['--out', 'x', 'site1'], /^fedaln-phantom: unexpected argument "site1"; see fedaln-phantom --help\n/],
  ])('bad flags %j exit 2 with a message naming the flag', (args, message) => {
    const r = phantom(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: fedaln-phantom/);
  });

  it('--help prints usage and exits 0', () => {
    const r = phantom('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--preview/);
  });
});
