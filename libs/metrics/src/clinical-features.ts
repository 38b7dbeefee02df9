/**
 * The study's traditional-features model (Oncoradiology 34(3):216, 2025: four ultrasound features,
 * logistic AUC 0.805): the design matrix from a site's labels.csv feature columns.
 */

import { MetricsInputError } from './validate';

/** labels.csv columns the feature model reads. */
export const CLINICAL_FEATURE_COLUMNS = ['size_mm', 'orientation', 'echogenic_halo', 'spiculation'] as const;

/** Covariate names, in design-matrix order (the intercept, when fitted, comes before them). */
export const CLINICAL_COVARIATES = ['size_mm', 'non_parallel', 'echogenic_halo', 'spiculation'] as const;

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

function rowName(row: FeatureCells, i: number): string {
  const id = row['case_id'];
  return typeof id === 'string' && id !== '' ? `row ${i + 1} (case_id ${id})` : `row ${i + 1}`;
}

function bad(row: FeatureCells, i: number, column: string, expected: string): MetricsInputError {
  const v = row[column];
  const shown = v === undefined || v === null || v === '' ? 'empty' : JSON.stringify(v);
  return new MetricsInputError(
    `${rowName(row, i)}: ${column} is ${shown}; expected ${expected} (labels.csv column ${column})`,
    column,
    i,
    v,
  );
}

function numberCell(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v.trim());
  return NaN;
}

function binaryCell(row: FeatureCells, i: number, column: string): 0 | 1 {
  const x = numberCell(row[column]);
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
    const size = numberCell(row['size_mm']);
    if (!(Number.isFinite(size) && size > 0))
      throw bad(row, i, 'size_mm', 'a positive number of millimetres');
    const o = row['orientation'];
    const orientation = typeof o === 'string' ? o.trim().toLowerCase() : '';
    if (orientation !== 'parallel' && orientation !== 'non-parallel')
      throw bad(row, i, 'orientation', '"parallel" or "non-parallel"');
    return [
      size,
      orientation === 'non-parallel' ? 1 : 0,
      binaryCell(row, i, 'echogenic_halo'),
      binaryCell(row, i, 'spiculation'),
    ];
  });
}
