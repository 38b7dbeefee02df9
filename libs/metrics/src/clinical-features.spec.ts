import { describe, expect, it } from '@jest/globals';
import { CLINICAL_FEATURE_COLUMNS } from '@fedaln/site-data';
import {
  CLINICAL_COVARIATES,
  clinicalFeatureRows,
  FEATURE_MODEL_TERMS,
  hasClinicalFeatures,
} from './clinical-features';
import { MetricsInputError } from './validate';

describe('clinicalFeatureRows', () => {
  it('maps labels.csv cells (text or numbers) to [size_mm, non-parallel, halo, spiculation]', () => {
    // Cells as @fedaln/site-data's labels.csv reader gives them: numeric text as numbers, words as text.
    const rows = Object.freeze([
      { case_id: 'a', size_mm: 21.5, orientation: 'non-parallel', echogenic_halo: 1, spiculation: 0 },
      { case_id: 'b', size_mm: '8', orientation: ' Parallel ', echogenic_halo: '0', spiculation: '1' },
    ]);
    expect(clinicalFeatureRows(rows)).toEqual([
      [21.5, 1, 1, 0],
      [8, 0, 0, 1],
    ]);
  });

  it.each([
    [
      { case_id: 'c7', size_mm: null, orientation: 'parallel', echogenic_halo: 0, spiculation: 0 },
      /row 2 \(case_id c7\): size_mm is empty; expected a positive number of millimetres \(labels\.csv column size_mm\)/,
    ],
    [{ size_mm: '-3', orientation: 'parallel', echogenic_halo: 0, spiculation: 0 }, /row 2: size_mm is "-3"/],
    [
      { size_mm: 10, orientation: 'oblique', echogenic_halo: 0, spiculation: 0 },
      /orientation is "oblique"; expected "parallel" or "non-parallel"/,
    ],
    [
      { size_mm: 10, orientation: 'parallel', echogenic_halo: 'yes', spiculation: 0 },
      /echogenic_halo is "yes"; expected 0 or 1/,
    ],
    [{ size_mm: 10, orientation: 'parallel', echogenic_halo: 0 }, /spiculation is empty; expected 0 or 1/],
  ])('names the row and column of a bad cell (%#)', (badRow, message) => {
    const good = { case_id: 'ok', size_mm: 12, orientation: 'parallel', echogenic_halo: 0, spiculation: 0 };
    expect(() => clinicalFeatureRows([good, badRow])).toThrow(message);
    try {
      clinicalFeatureRows([good, badRow]);
    } catch (e) {
      expect(e).toBeInstanceOf(MetricsInputError);
      expect((e as MetricsInputError).index).toBe(1);
    }
  });
});

describe('hasClinicalFeatures', () => {
  it('needs all four columns', () => {
    expect(hasClinicalFeatures(['case_id', 'image', 'aln_metastasis', ...CLINICAL_FEATURE_COLUMNS])).toBe(
      true,
    );
    expect(hasClinicalFeatures(['case_id', 'size_mm', 'orientation', 'echogenic_halo'])).toBe(false);
  });
});

describe('CLINICAL_COVARIATES and FEATURE_MODEL_TERMS', () => {
  it('name one covariate per feature column, after the intercept named as R names it', () => {
    // Reference: R's coef(glm(y ~ size_mm + non_parallel + echogenic_halo + spiculation)) names
    // "(Intercept)" first; the card lower-cases it.
    expect(CLINICAL_COVARIATES).toHaveLength(CLINICAL_FEATURE_COLUMNS.length);
    expect(
      clinicalFeatureRows([{ size_mm: 10, orientation: 'parallel', echogenic_halo: 0, spiculation: 0 }])[0],
    ).toHaveLength(CLINICAL_COVARIATES.length);
    expect(FEATURE_MODEL_TERMS).toEqual([
      '(intercept)',
      'size_mm',
      'non_parallel',
      'echogenic_halo',
      'spiculation',
    ]);
  });
});
