export { detAtan2, detCos, detExp, detLog, detLog10, detSin } from './detmath';
export { deriveSeed, fmix32, Rng, splitmix32 } from './prng';
export {
  COHORT_MIX,
  drawFeatures,
  MARGINS,
  ORIENTATIONS,
  POSTERIOR_FEATURES,
  SHAPES,
  SIZE_RANGE_MM,
  type CaseMix,
  type LesionFeatures,
  type Margin,
  type Orientation,
  type PosteriorFeature,
  type Shape,
} from './features';
export { alnRisk, drawLabel, LABEL_MODEL, riskCovariates } from './label-model';
export { cohortProfile, siteProfile, type ScannerSettings, type SiteProfile } from './site';
export { FIELD_OF_VIEW_MM } from './anatomy';
export { MAX_SIZE_PX, MIN_SIZE_PX, renderImage, renderWithGeometry } from './render';
export { outlineFactor, signedDistanceMm, type LesionGeometry } from './lesion';
export { stratifiedSplit, type Split } from './split';
export { imagePath, LABEL_COLUMNS, labelsCsv } from './labels-csv';
export {
  caseId,
  drawCase,
  generateCase,
  generateSite,
  type PhantomCase,
  type PhantomCaseRecord,
} from './case';
export { contactSheet, type RgbImage, type SheetImage } from './contact-sheet';
