/**
 * A phantom site's `labels.csv` (written by @fedaln/site-data's `formatLabelsCsv`): the required
 * columns and `split`, then the radiologist's features; yes/no features as 0/1, `orientation` as
 * `parallel`/`non-parallel`, `spiculation` = 1 for a spiculated margin. The columns are each case's
 * `read` (v2: a radiologist's read of the lesion; v1: the generated values). The image-only
 * heterogeneity factor is not written: it is what the radiologist's features do not capture.
 */
import { type ClinicalFeatureColumn, formatLabelsCsv, type Split } from '@fedaln/site-data';
import type { PhantomCaseRecord } from './case';

/** The four feature-model columns and the phantom's other features. */
type PhantomFeatureColumn =
  ClinicalFeatureColumn | 'shape' | 'margin' | 'calcification' | 'lobulation' | 'posterior';

/** The phantom's feature columns, in file order. */
export const PHANTOM_FEATURE_COLUMNS: readonly PhantomFeatureColumn[] = [
  'size_mm',
  'shape',
  'orientation',
  'margin',
  'echogenic_halo',
  'calcification',
  'spiculation',
  'lobulation',
  'posterior',
];

/** The image path of a case relative to its site folder. @example imagePath('site1-0001') // 'images/site1-0001.png' */
export function imagePath(caseId: string, format: 'png' | 'dicom' = 'png'): string {
  return `images/${caseId}.${format === 'dicom' ? 'dcm' : 'png'}`;
}

/**
 * CSV text (header + one row per case, `\n` line ends).
 * @example labelsCsv([record], ['train']).split('\n')[0] // 'case_id,image,aln_metastasis,split,size_mm,…'
 */
export function labelsCsv(
  cases: readonly PhantomCaseRecord[],
  splits: readonly Split[],
  format: 'png' | 'dicom' = 'png',
): string {
  const yn = (b: boolean) => (b ? '1' : '0');
  return formatLabelsCsv(
    cases.map((c, i) => {
      const f = c.read;
      const features: Record<PhantomFeatureColumn, string> = {
        size_mm: f.sizeMm.toFixed(1),
        shape: f.shape,
        orientation: f.orientation,
        margin: f.margin,
        echogenic_halo: yn(f.echogenicHalo),
        calcification: yn(f.calcification),
        spiculation: yn(f.margin === 'spiculated'),
        lobulation: yn(f.lobulation),
        posterior: f.posterior,
      };
      return {
        caseId: c.caseId,
        image: imagePath(c.caseId, format),
        label: c.label,
        split: splits[i] ?? 'train',
        features,
      };
    }),
    { withSplit: true, featureColumns: PHANTOM_FEATURE_COLUMNS },
  );
}
