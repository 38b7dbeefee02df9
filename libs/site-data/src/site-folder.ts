/**
 * Reads a site's data folder (DESIGN.md "Data at a site"): `labels.csv` and the images it names.
 * Bad rows are skipped and reported with a reason, not fatal; a missing file or missing required
 * column is fatal. The one module of this package that does I/O: it reads labels.csv, and opens
 * each image through the caller's `openImage` (decoding is the model's business, so this package
 * needs no image library).
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type BadRow, type LabelsRecord, parseLabelsCsv } from './labels-csv';
import { CASE_ID_COLUMN, LABEL_COLUMN, LABELS_FILE, SPLIT_COLUMN, SPLITS, type Split } from './labels-schema';
import { seededSplit } from './split';

export interface SiteCase {
  /** Its line in labels.csv (the header is line 1); readSiteFolder always sets it. */
  line?: number;
  caseId: string;
  /** Absolute path of the image. */
  imagePath: string;
  /** ALN metastasis: 1 yes, 0 no. */
  label: 0 | 1;
  split: Split;
  /** Extra columns (e.g. ultrasound features); numeric text becomes a number, empty becomes null. */
  features: LabelsRecord['features'];
  /** What `openImage` kept of the image (the decoded, normalised pixels), if anything. */
  image?: Float32Array;
}

export interface ClassCounts {
  negative: number;
  positive: number;
}

export type SplitCounts = Record<Split, ClassCounts>;

export interface SiteFolder {
  dir: string;
  cases: SiteCase[];
  bad: BadRow[];
  counts: SplitCounts;
  featureColumns: string[];
  /** `column` when labels.csv has a split column, else `seeded`. */
  splitSource: 'column' | 'seeded';
  /** Problems that do not drop rows but make training or evaluation meaningless. */
  warnings: string[];
}

/** The labels.csv row an image comes from: its line, and `frame` of a multi-frame DICOM (1-based) or null. */
export interface ImageRowOptions {
  line: number;
  frame: number | null;
}

/**
 * Opens the image at an absolute path: resolves with the pixels to keep (or undefined to keep
 * none), rejects with a message naming the file when it is missing or cannot be decoded.
 */
export type OpenImage = (imagePath: string, row?: ImageRowOptions) => Promise<Float32Array | undefined>;

export interface ReadSiteOptions {
  /** Seed of the stratified split for rows without a `split` value. */
  seed: number;
  /** Test share of the seeded split; default 0.2 (the study's 8:2 split). */
  testFraction?: number;
  openImage: OpenImage;
}

/**
 * Cases of each class in each split.
 * @example countClasses([{ split: 'train', label: 1 }]) // { train: { negative: 0, positive: 1 }, test: { negative: 0, positive: 0 } }
 */
export function countClasses(cases: readonly Pick<SiteCase, 'split' | 'label'>[]): SplitCounts {
  const counts: SplitCounts = { train: { negative: 0, positive: 0 }, test: { negative: 0, positive: 0 } };
  for (const c of cases) counts[c.split][c.label === 1 ? 'positive' : 'negative']++;
  return counts;
}

/**
 * Reads and validates a site folder: each row's own cells, then no case id twice among usable rows,
 * then the image; rows without a split get the seeded split (`seededSplit`) among the usable rows.
 * @example
 * const site = await readSiteFolder('/data/site-a', { seed: 1, openImage: siteImageOpener(224) });
 * for (const b of site.bad) console.warn(`labels.csv line ${b.line}: ${b.reason}`);
 */
export async function readSiteFolder(dir: string, options: ReadSiteOptions): Promise<SiteFolder> {
  const csvPath = path.resolve(dir, LABELS_FILE);
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${csvPath} (${(err as Error).message}); a site folder needs ${LABELS_FILE}`);
  }
  const table = parseLabelsCsv(text, csvPath);

  const bad = [...table.bad];
  const accepted: (Omit<SiteCase, 'split'> & { split: Split | null })[] = [];
  const seen = new Set<string>();
  for (const r of table.records) {
    const reject = (reason: string): void => void bad.push({ line: r.line, caseId: r.caseId, reason });
    if (seen.has(r.caseId)) {
      reject(`${CASE_ID_COLUMN} "${r.caseId}" repeats an earlier row`);
      continue;
    }
    const imagePath = path.resolve(dir, r.image);
    let image: Float32Array | undefined;
    try {
      image = await options.openImage(imagePath, { line: r.line, frame: r.frame });
    } catch (err) {
      reject((err as Error).message);
      continue;
    }
    seen.add(r.caseId);
    accepted.push({
      line: r.line,
      caseId: r.caseId,
      imagePath,
      label: r.label,
      split: r.split,
      features: r.features,
      ...(image ? { image } : {}),
    });
  }
  bad.sort((a, b) => a.line - b.line);

  const unsplit = accepted.filter((c) => c.split === null);
  const seeded = seededSplit(
    unsplit.map((c) => c.label),
    { seed: options.seed, testFraction: options.testFraction },
  );
  unsplit.forEach((c, i) => (c.split = seeded[i]!));
  const cases = accepted as SiteCase[];

  const counts = countClasses(cases);
  const warnings: string[] = [];
  for (const split of SPLITS) {
    const { negative, positive } = counts[split];
    if (negative === 0 || positive === 0) {
      warnings.push(
        `the ${split} split has ${negative} negative and ${positive} positive cases; ` +
          `${split === 'train' ? 'training' : 'AUC'} needs both classes (fix ${LABEL_COLUMN} or ${SPLIT_COLUMN} in ${csvPath})`,
      );
    }
  }
  return {
    dir: path.resolve(dir),
    cases,
    bad,
    counts,
    featureColumns: table.featureColumns,
    splitSource: table.hasSplitColumn ? 'column' : 'seeded',
    warnings,
  };
}
