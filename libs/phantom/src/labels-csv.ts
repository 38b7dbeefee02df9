/**
 * A site's `labels.csv` (DESIGN.md "Data at a site"): `case_id,image,aln_metastasis,split` then the
 * radiologist's features; yes/no features as 0/1, `orientation` as `parallel`/`non-parallel`,
 * `spiculation` = 1 for a spiculated margin. The image-only heterogeneity factor is not written:
 * it is what the radiologist's features do not capture.
 */
import type { PhantomCaseRecord } from './case';
import type { Split } from './split';

export const LABEL_COLUMNS = [
  'case_id',
  'image',
  'aln_metastasis',
  'split',
  'size_mm',
  'shape',
  'orientation',
  'margin',
  'echogenic_halo',
  'calcification',
  'spiculation',
  'lobulation',
  'posterior',
] as const;

/** The image path of a case relative to its site folder. @example imagePath('site1-0001') // 'images/site1-0001.png' */
export function imagePath(caseId: string): string {
  return `images/${caseId}.png`;
}

/**
 * CSV text (header + one row per case, `\n` line ends).
 * @example labelsCsv([record], ['train']).split('\n')[0] // 'case_id,image,aln_metastasis,split,size_mm,…'
 */
export function labelsCsv(cases: readonly PhantomCaseRecord[], splits: readonly Split[]): string {
  const yn = (b: boolean) => (b ? '1' : '0');
  const rows = cases.map((c, i) => {
    const f = c.features;
    return [
      c.caseId,
      imagePath(c.caseId),
      String(c.label),
      splits[i] ?? 'train',
      f.sizeMm.toFixed(1),
      f.shape,
      f.orientation,
      f.margin,
      yn(f.echogenicHalo),
      yn(f.calcification),
      yn(f.margin === 'spiculated'),
      yn(f.lobulation),
      f.posterior,
    ].join(',');
  });
  return [LABEL_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
