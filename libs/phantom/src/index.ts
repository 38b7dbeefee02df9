export { detAtan2, detCos, detExp, detLog, detLog10, detSin } from './detmath';
export { Rng } from './prng';
export {
  COHORT_MIX,
  drawFeatures,
  MARGINS,
  POSTERIOR_FEATURES,
  SHAPES,
  SIZE_RANGE_MM,
  type CaseMix,
  type LesionFeatures,
  type Margin,
  type PosteriorFeature,
  type Shape,
} from './features';
export {
  alnRisk,
  drawLabel,
  LABEL_MODEL,
  LABEL_MODEL_V2,
  labelModel,
  riskCovariates,
  type LabelModel,
} from './label-model';
export { READER_AGREEMENT, readFeatures } from './reads';
export { DEFAULT_PHANTOM_VERSION, PHANTOM_VERSIONS, phantomVersion, type PhantomVersion } from './version';
export { cohortProfile, siteProfile, type ScannerSettings, type SiteProfile } from './site';
export { FIELD_OF_VIEW_MM } from './anatomy';
export {
  MAX_SIZE_PX,
  MIN_SIZE_PX,
  pixelPitchMm,
  renderImage,
  renderWithGeometry,
  type RenderedCase,
} from './render';
export { outlineFactor, signedDistanceMm, type LesionGeometry } from './lesion';
export { phantomSplit } from './split';
export { imagePath, labelsCsv, PHANTOM_FEATURE_COLUMNS } from './labels-csv';
export {
  caseId,
  drawCase,
  generateCase,
  generateSite,
  type PhantomCase,
  type PhantomCaseRecord,
} from './case';
export { contactSheet, type RgbImage, type SheetImage } from './contact-sheet';
