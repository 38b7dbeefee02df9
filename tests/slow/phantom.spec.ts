import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auc } from '@fedaln/metrics';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { drawCase, siteProfile } from '@fedaln/phantom';

// A federation-sized phantom run through the real CLI (built dist; `npm test` builds first):
// 3 sites × 120 cases at 64 px, twice with the same seed, plus a 224 px run with the contact sheet.
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'libs', 'phantom', 'bin', 'fedaln-phantom.js');

function phantom(...args: string[]) {
  const dist = join(ROOT, 'libs', 'phantom', 'dist', 'cli.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build first with \`npx tsc -b libs/phantom\``);
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fedaln-phantom ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
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

const rows = (dir: string, site: string) =>
  readFileSync(join(dir, site, 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

/** Spearman ρ by ranking (ties broken by order; sizes have few ties). */
function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const r = new Array<number>(v.length);
    v.map((x, i) => [x, i] as const)
      .sort((p, q) => p[0] - q[0])
      .forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const [ra, rb] = [rank(a), rank(b)];
  const m = (a.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - m) * (rb[i]! - m);
    da += (ra[i]! - m) ** 2;
    db += (rb[i]! - m) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Gray pixels of a site's images, in labels.csv order. */
const pixelsOf = (dir: string, site: string) =>
  Promise.all(
    rows(dir, site).map((r) =>
      sharp(join(dir, site, r[1]!))
        .toColourspace('b-w')
        .raw()
        .toBuffer(),
    ),
  );

/** Pixels darker than 55 % of the median gray in the whole image (v2: a 30 mm ROI around the mass). */
function darkAreaWhole(px: Buffer): number {
  const median = [...px].sort((x, y) => x - y)[px.length >> 1]!;
  return px.filter((v) => v < 0.55 * median).length;
}

/** Pixels darker than 55 % of the median gray in the breast band (above the chest wall), 64 px. */
function darkArea(px: Buffer): number {
  const band: number[] = [];
  for (let j = 3; j < 40; j++) for (let i = 6; i < 58; i++) band.push(px[j * 64 + i]!);
  const median = [...band].sort((x, y) => x - y)[band.length >> 1]!;
  return band.filter((v) => v < 0.55 * median).length;
}

/**
 * Writes 3 sites × 120 cases at 64 px (seed 11, generator `version`) twice, checks the two runs are
 * byte-identical (363 files each), and returns the first run's folder.
 */
function twoRuns(version: 1 | 2): string {
  const [a, b] = [mkdtempSync(join(tmpdir(), 'phantom-a-')), mkdtempSync(join(tmpdir(), 'phantom-b-'))];
  const args = [
    '--sites',
    '3',
    '--cases',
    '120',
    '--size',
    '64',
    '--seed',
    '11',
    '--version',
    String(version),
  ];
  beforeAll(() => {
    phantom(...args, '--out', a);
    phantom(...args, '--out', b);
  }, 120_000);
  afterAll(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });
  it('two runs with the same seed give byte-identical files (363 of them)', () => {
    const ha = hashes(a);
    expect(Object.keys(ha)).toHaveLength(3 * 121);
    expect(hashes(b)).toEqual(ha);
  });
  return a;
}

describe('fedaln-phantom at federation scale (v1, pinned)', () => {
  const a = twoRuns(1);

  it('each site’s split is stratified 80/20 (round(20 %) of each class in test)', () => {
    for (const site of ['site1', 'site2', 'site3']) {
      const r = rows(a, site);
      for (const label of ['0', '1']) {
        const cls = r.filter((x) => x[2] === label);
        expect(cls.filter((x) => x[3] === 'test')).toHaveLength(Math.round(cls.length * 0.2));
      }
    }
  });

  it('the images carry the size signal: dark area tracks size_mm and predicts ALN status', async () => {
    // Crude image statistic, no learning: pixels darker than 55 % of the median gray in the breast
    // band (above the chest wall). Size is the study's first risk factor, so if the lesion's size is
    // drawn faithfully this area must rank with size_mm and carry part of the label signal.
    const sizes: number[] = [];
    const dark: number[] = [];
    const labels: number[] = [];
    for (const site of ['site1', 'site2', 'site3']) {
      const px = await pixelsOf(a, site);
      rows(a, site).forEach((r, i) => {
        dark.push(darkArea(px[i]!));
        sizes.push(Number(r[4]));
        labels.push(Number(r[2]));
      });
    }
    expect(spearman(sizes, dark)).toBeGreaterThan(0.5);
    expect(auc(labels, dark)!).toBeGreaterThan(0.62);
  }, 60_000);

  it('renders 224 px images and a contact sheet sized for 6 tiles per site', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-224-'));
    try {
      phantom('--sites', '2', '--cases', '6', '--size', '224', '--seed', '3', '--preview', '--out', dir);
      const meta = await sharp(join(dir, 'site1', 'images', 'site1-0006.png')).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([224, 224, 1]);
      // Tiles: 224 + 2·3 px border, 2 px gaps → 6·230 + 5·2 = 1390 wide, 2·230 + 2 = 462 high.
      const sheet = await sharp(join(dir, 'preview.png')).metadata();
      expect([sheet.width, sheet.height, sheet.channels]).toEqual([1390, 462, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('fedaln-phantom v2 at federation scale', () => {
  const a = twoRuns(2);

  it('within each site the dark area ranks with the TRUE size; pooled it still predicts ALN status', async () => {
    // labels.csv holds a radiologist's read; the image shows the true lesion (drawCase, the library).
    // v2's scanners differ more (gain, dynamic range, display curve), so the crude v1 statistic is
    // compared within a site, over the whole image (v2's is a 30 mm region of interest around the
    // mass). The image-only factor darkens the mass too, so the dark area carries it as well. Measured
    // at seed 11: ρ with the true size 0.53, 0.57, 0.84 by site; pooled AUC of the dark area 0.78.
    const dark: number[] = [];
    const labels: number[] = [];
    for (const [k, site] of ['site1', 'site2', 'site3'].entries()) {
      const px = await pixelsOf(a, site);
      const truth = rows(a, site).map((_, i) => drawCase(siteProfile(k + 1, 11, 2), i));
      const siteDark = px.map(darkAreaWhole);
      expect(
        spearman(
          truth.map((c) => c.features.sizeMm),
          siteDark,
        ),
      ).toBeGreaterThan(0.4);
      rows(a, site).forEach((r, i) => expect(Number(r[2])).toBe(truth[i]!.label));
      dark.push(...siteDark);
      labels.push(...truth.map((c) => c.label));
    }
    expect(auc(labels, dark)!).toBeGreaterThan(0.7);
  }, 60_000);
});
