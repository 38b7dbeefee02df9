/**
 * `fedaln-phantom`: writes a phantom federation — per site `labels.csv` and `images/*.png` (or
 * `*.dcm` with `--format dicom`) — and
 * optionally a contact sheet. The only module of this package that does I/O (with write.ts).
 */
import { UsageError } from '@fedaln/cli-flags';
import { streamSeed } from '@fedaln/site-data';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCase, type PhantomCase } from './case';
import { parseCliArgs, USAGE, type PhantomCliOptions } from './cli-args';
import { contactSheet, type SheetImage } from './contact-sheet';
import { imagePath, labelsCsv } from './labels-csv';
import { siteProfile } from './site';
import { phantomSplit } from './split';
import { pixelPitchMm } from './render';
import { writeGrayPng, writeRgbPng, writeUltrasoundDicom } from './write';

/** Cases per site on the contact sheet. */
const PREVIEW_CASES = 8;
/** PNG encodes run on sharp's thread pool; keep a few in flight while the next image renders. */
const IN_FLIGHT = 4;

async function run(opts: PhantomCliOptions): Promise<void> {
  const total = opts.sites * opts.cases;
  const started = Date.now();
  let done = 0;
  let lastReport = 0;
  const previewRows: SheetImage[][] = [];
  for (let s = 1; s <= opts.sites; s++) {
    const site = siteProfile(s, opts.seed, opts.version);
    const dir = join(opts.out, site.name);
    mkdirSync(join(dir, 'images'), { recursive: true });
    const records: Omit<PhantomCase, 'pixels'>[] = [];
    const preview: SheetImage[] = [];
    const pending = new Set<Promise<void>>();
    for (let i = 0; i < opts.cases; i++) {
      const c = generateCase(site, i, opts.size);
      const { pixels, ...record } = c;
      records.push(record);
      if (opts.preview && i < PREVIEW_CASES) preview.push({ pixels, size: c.size, label: c.label });
      const file = join(dir, imagePath(c.caseId, opts.format));
      const ids = {
        caseId: c.caseId,
        uidSeed: `fedaln-phantom seed ${opts.seed}`,
        pixelMm: pixelPitchMm(site.version, c.size),
      };
      const write: Promise<void> = (
        opts.format === 'dicom'
          ? writeUltrasoundDicom(file, pixels, c.size, ids)
          : writeGrayPng(file, pixels, c.size)
      ).finally(() => pending.delete(write));
      pending.add(write);
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      done++;
      if (Date.now() - lastReport > 2000 || done === total) {
        lastReport = Date.now();
        process.stderr.write(
          `fedaln-phantom: ${done}/${total} images (${site.name}), ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      }
    }
    await Promise.all(pending);
    const splits = phantomSplit(
      records.map((r) => r.label),
      streamSeed(opts.seed, s),
    );
    writeFileSync(join(dir, 'labels.csv'), labelsCsv(records, splits, opts.format));
    previewRows.push(preview);
  }
  if (opts.preview) await writeRgbPng(join(opts.out, 'preview.png'), contactSheet(previewRows));
}

function main(): void {
  let opts: PhantomCliOptions | null;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`fedaln-phantom: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  run(opts).catch((err: unknown) => {
    process.stderr.write(`fedaln-phantom: ${(err as Error).message}\n`);
    process.exit(1);
  });
}

main();
