/**
 * The study's traditional-features model (Oncoradiology 34(3):216, 2025: four ultrasound features,
 * logistic AUC 0.805): the design matrix from a site's labels.csv feature columns.
 */
import {
  CASE_ID_COLUMN,
  CLINICAL_FEATURE_COLUMNS,
  type ClinicalFeatureColumn,
  ORIENTATIONS,
  type Orientation,
} from '@fedaln/site-data';
import { MetricsInputError } from './validate';

/**
 * Covariate names of {@link clinicalFeatureRows}' columns, in design-matrix order, one per feature
 * column of labels.csv (`CLINICAL_FEATURE_COLUMNS` of @fedaln/site-data): `orientation` enters as
 * the indicator `non_parallel`.
 */
export const CLINICAL_COVARIATES = ['size_mm', 'non_parallel', 'echogenic_halo', 'spiculation'] as const;
export type ClinicalCovariate = (typeof CLINICAL_COVARIATES)[number];

/** The intercept's name among a fitted feature model's covariates (R's `coef()` names it so). */
export const FEATURE_MODEL_INTERCEPT = '(intercept)';

/**
 * The covariates of the fitted feature model (`fitLogistic` / `fitFederatedLogistic` with an
 * intercept), in coefficient order: the intercept, then {@link CLINICAL_COVARIATES}.
 */
export const FEATURE_MODEL_TERMS = [FEATURE_MODEL_INTERCEPT, ...CLINICAL_COVARIATES] as const;
export type FeatureModelTerm = (typeof FEATURE_MODEL_TERMS)[number];

/** One labels.csv row's feature cells: numbers, text, or null/'' when empty. */
export type FeatureCells = Readonly<Record<string, unknown>>;

/**
 * True when every feature column is in the header, i.e. the site can take part in the
 * feature-model baseline.
 *
 * @example hasClinicalFeatures(['case_id', 'size_mm', 'orientation', 'echogenic_halo', 'spiculation']) // true
 */
export function hasClinicalFeatures(columns: readonly string[]): boolean {
  return CLINICAL_FEATURE_COLUMNS.every((c) => columns.includes(c));
}

/** The cell of a feature column (typed, so a misspelt column does not compile). */
const cell = (row: FeatureCells, column: ClinicalFeatureColumn): unknown => row[column];

function rowName(row: FeatureCells, i: number): string {
  const id = row[CASE_ID_COLUMN];
  return typeof id === 'string' && id !== '' ? `row ${i + 1} (${CASE_ID_COLUMN} ${id})` : `row ${i + 1}`;
}

function bad(
  row: FeatureCells,
  i: number,
  column: ClinicalFeatureColumn,
  expected: string,
): MetricsInputError {
  const v = cell(row, column);
  const shown = v === undefined || v === null || v === '' ? 'empty' : JSON.stringify(v);
  return new MetricsInputError(
    `${rowName(row, i)}: ${column} is ${shown}; expected ${expected} (labels.csv column ${column})`,
    column,
    i,
    v,
  );
}

const isOrientation = (v: string): v is Orientation => (ORIENTATIONS as readonly string[]).includes(v);

function numberCell(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v.trim());
  return NaN;
}

function binaryCell(row: FeatureCells, i: number, column: ClinicalFeatureColumn): 0 | 1 {
  const x = numberCell(cell(row, column));
  if (x !== 0 && x !== 1) throw bad(row, i, column, '0 or 1');
  return x;
}

/**
 * Design-matrix rows [size_mm, non-parallel, echogenic halo, spiculation] (no intercept column;
 * `fitLogistic` and `logisticSufficientStats` prepend it) from labels.csv feature cells:
 * `size_mm` a positive number of millimetres, `orientation` `parallel` or `non-parallel`
 * (case-insensitive), `echogenic_halo` and `spiculation` 0 or 1. Size enters per millimetre, as a
 * logistic model of the raw feature would.
 *
 * @throws MetricsInputError naming the row (1-based, with its case_id when present) and column.
 * @example
 * clinicalFeatureRows([{ size_mm: '21.5', orientation: 'non-parallel', echogenic_halo: 1, spiculation: '0' }]);
 * // [[21.5, 1, 1, 0]]
 */
export function clinicalFeatureRows(rows: readonly FeatureCells[]): number[][] {
  return rows.map((row, i) => {
    const size = numberCell(cell(row, 'size_mm'));
    if (!(Number.isFinite(size) && size > 0))
      throw bad(row, i, 'size_mm', 'a positive number of millimetres');
    const o = cell(row, 'orientation');
    const orientation = typeof o === 'string' ? o.trim().toLowerCase() : '';
    if (!isOrientation(orientation))
      throw bad(row, i, 'orientation', ORIENTATIONS.map((v) => `"${v}"`).join(' or '));
    return [
      size,
      orientation === 'non-parallel' ? 1 : 0,
      binaryCell(row, i, 'echogenic_halo'),
      binaryCell(row, i, 'spiculation'),
    ];
  });
}
