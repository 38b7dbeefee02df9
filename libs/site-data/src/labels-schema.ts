/**
 * The columns of a site folder's `labels.csv` (DESIGN.md "Data at a site"):
 * `case_id,image,aln_metastasis[,split][,feature columns]`. Every reader and writer of the file
 * (site client, model, phantom, metrics, demo scripts) takes the names from here.
 */

export const LABELS_FILE = 'labels.csv';

export const CASE_ID_COLUMN = 'case_id';
/** The image's path relative to the site folder (PNG, JPEG or DICOM). */
export const IMAGE_COLUMN = 'image';
/** ALN metastasis: 1 yes, 0 no. */
export const LABEL_COLUMN = 'aln_metastasis';
/** Optional: `train`, `test`, or empty for the seeded stratified split. */
export const SPLIT_COLUMN = 'split';
/** Optional: the 1-based frame of a multi-frame (cine) DICOM image; empty for the middle frame. */
export const FRAME_COLUMN = 'frame';

/** The columns every labels.csv has, in the order the header starts with. */
export const REQUIRED_COLUMNS = [CASE_ID_COLUMN, IMAGE_COLUMN, LABEL_COLUMN] as const;

/** The header as a user should write it. @example LABELS_HEADER // 'case_id,image,aln_metastasis[,split][,feature columns]' */
export const LABELS_HEADER = `${REQUIRED_COLUMNS.join(',')}[,${SPLIT_COLUMN}][,feature columns]`;

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * The feature columns of the study's four-feature model (Oncoradiology 34(3):216, 2025: larger
 * size, non-parallel orientation, echogenic halo, spiculation): `size_mm` in millimetres,
 * `orientation` one of {@link ORIENTATIONS}, `echogenic_halo` and `spiculation` 0 or 1. The model's
 * covariate names are `CLINICAL_COVARIATES` of @fedaln/metrics.
 */
export const CLINICAL_FEATURE_COLUMNS = ['size_mm', 'orientation', 'echogenic_halo', 'spiculation'] as const;
export type ClinicalFeatureColumn = (typeof CLINICAL_FEATURE_COLUMNS)[number];

/** Values of the `orientation` column (BI-RADS): `non-parallel` = taller than wide. */
export const ORIENTATIONS = ['parallel', 'non-parallel'] as const;
export type Orientation = (typeof ORIENTATIONS)[number];
