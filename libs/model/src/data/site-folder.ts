/**
 * Reads a site's data folder (DESIGN.md "Data at a site"): `labels.csv` with columns
 * `case_id,image,aln_metastasis[,split][,feature columns]` and the images it names. Bad rows are
 * skipped and reported with a reason, not fatal; a missing file or missing required column is fatal.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadImage } from '../images/decode';
import { parseCsv } from './csv';
import { type Split, stratifiedSplit } from './split';

export const REQUIRED_COLUMNS = ['case_id', 'image', 'aln_metastasis'] as const;

export interface SiteCase {
  caseId: string;
  /** Absolute path of the image. */
  imagePath: string;
  /** ALN metastasis: 1 yes, 0 no. */
  label: 0 | 1;
  split: Split;
  /** Extra columns (e.g. ultrasound features); numeric text becomes a number, empty becomes null. */
  features: Record<string, number | string | null>;
  /** The decoded, normalised image when `inputSize` was given. */
  image?: Float32Array;
}

export interface BadRow {
  /** 1-based line number in labels.csv (the header is line 1). */
  line: number;
  caseId: string | null;
  reason: string;
}

export interface ClassCounts {
  negative: number;
  positive: number;
}

export interface SiteFolder {
  dir: string;
  cases: SiteCase[];
  bad: BadRow[];
  counts: Record<Split, ClassCounts>;
  featureColumns: string[];
  /** `column` when labels.csv has a split column, else `seeded`. */
  splitSource: 'column' | 'seeded';
  /** Problems that do not drop rows but make training or evaluation meaningless. */
  warnings: string[];
}

export interface ReadSiteOptions {
  /** Seed of the stratified split for rows without a `split` value. */
  seed: number;
  /** Test share of the seeded split; default 0.2 (the study's 8:2 split). */
  testFraction?: number;
  /** Decode every image to this side and keep it in `image`; otherwise images are only checked. */
  inputSize?: number;
}

function parseFeature(value: string): number | string | null {
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/**
 * Reads and validates a site folder.
 * @example
 * const site = await readSiteFolder('/data/site-a', { seed: 1, inputSize: 224 });
 * for (const b of site.bad) console.warn(`labels.csv line ${b.line}: ${b.reason}`);
 */
export async function readSiteFolder(dir: string, options: ReadSiteOptions): Promise<SiteFolder> {
  const csvPath = path.resolve(dir, 'labels.csv');
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${csvPath} (${(err as Error).message}); a site folder needs labels.csv`);
  }
  const [header, ...records] = parseCsv(text);
  const columns = (header ?? []).map((c) => c.trim());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new Error(
      `${csvPath} lacks column(s) ${missing.join(', ')}; expected a header starting ` +
        `case_id,image,aln_metastasis[,split][,feature columns], got "${columns.join(',')}"`,
    );
  }
  const col = (name: string): number => columns.indexOf(name);
  const splitCol = col('split');
  const featureColumns = columns.filter((c) => !REQUIRED_COLUMNS.includes(c as never) && c !== 'split');

  const bad: BadRow[] = [];
  const accepted: (Omit<SiteCase, 'split'> & { split: Split | null })[] = [];
  const seen = new Set<string>();
  for (const [r, fields] of records.entries()) {
    const line = r + 2;
    const caseId = (fields[col('case_id')] ?? '').trim();
    const reject = (reason: string): void => void bad.push({ line, caseId: caseId || null, reason });
    if (fields.length !== columns.length) {
      reject(`has ${fields.length} fields, the header has ${columns.length}`);
      continue;
    }
    if (!caseId) {
      reject('case_id is empty');
      continue;
    }
    if (seen.has(caseId)) {
      reject(`case_id "${caseId}" repeats an earlier row`);
      continue;
    }
    const labelText = (fields[col('aln_metastasis')] ?? '').trim();
    if (labelText !== '0' && labelText !== '1') {
      reject(`aln_metastasis is "${labelText}", expected 0 or 1`);
      continue;
    }
    const splitText = splitCol >= 0 ? (fields[splitCol] ?? '').trim().toLowerCase() : '';
    if (splitText !== '' && splitText !== 'train' && splitText !== 'test') {
      reject(`split is "${splitText}", expected train, test or empty`);
      continue;
    }
    const imageField = (fields[col('image')] ?? '').trim();
    if (!imageField) {
      reject('image is empty');
      continue;
    }
    const imagePath = path.resolve(dir, imageField);
    let image: Float32Array | undefined;
    try {
      // A full decode (not just the header) also catches truncated files; 8 px keeps it cheap.
      const decoded = await loadImage(imagePath, options.inputSize ?? 8);
      if (options.inputSize !== undefined) image = decoded;
    } catch (err) {
      reject((err as Error).message);
      continue;
    }
    seen.add(caseId);
    const features = Object.fromEntries(featureColumns.map((c) => [c, parseFeature(fields[col(c)] ?? '')]));
    accepted.push({
      caseId,
      imagePath,
      label: labelText === '1' ? 1 : 0,
      split: splitText === '' ? null : splitText,
      features,
      ...(image ? { image } : {}),
    });
  }

  const unsplit = accepted.filter((c) => c.split === null);
  const seeded = stratifiedSplit(
    unsplit.map((c) => c.label),
    options.testFraction ?? 0.2,
    options.seed,
  );
  unsplit.forEach((c, i) => (c.split = seeded[i]!));
  const cases = accepted as SiteCase[];

  const counts: Record<Split, ClassCounts> = {
    train: { negative: 0, positive: 0 },
    test: { negative: 0, positive: 0 },
  };
  for (const c of cases) counts[c.split][c.label === 1 ? 'positive' : 'negative']++;
  const warnings: string[] = [];
  for (const split of ['train', 'test'] as const) {
    const { negative, positive } = counts[split];
    if (negative === 0 || positive === 0) {
      warnings.push(
        `the ${split} split has ${negative} negative and ${positive} positive cases; ` +
          `${split === 'train' ? 'training' : 'AUC'} needs both classes (fix aln_metastasis or split in ${csvPath})`,
      );
    }
  }
  return {
    dir: path.resolve(dir),
    cases,
    bad,
    counts,
    featureColumns,
    splitSource: splitCol >= 0 ? 'column' : 'seeded',
    warnings,
  };
}
