/**
 * Phantom generator versions. v1 (issues 1–14): the feature columns are the exact generating values
 * and the image shows them only faintly at 64 px. v2 (issue 15, the seed's regime): the columns are a
 * radiologist's read with published inter-observer variability (reads.ts), the label model acts on the
 * true lesion and is re-tuned so the reads reach AUC ≈ 0.80 and the true risk ≈ 0.90, the image is a
 * 30 mm region of interest around the mass with the features drawn large enough to see at 32 px, an
 * image-only factor shows as findings the four columns do not hold, and scanners differ more between sites. A seed gives the same
 * files within a version; v1 stays byte-identical to what it always wrote.
 */
export const PHANTOM_VERSIONS = [1, 2] as const;
export type PhantomVersion = (typeof PHANTOM_VERSIONS)[number];

/** The version `fedaln-phantom` and {@link siteProfile} use unless told otherwise. */
export const DEFAULT_PHANTOM_VERSION: PhantomVersion = 1;

/**
 * The version named by `value`, or an error naming it and the versions there are.
 * @example phantomVersion(2) // 2
 */
export function phantomVersion(value: number): PhantomVersion {
  if (!(PHANTOM_VERSIONS as readonly number[]).includes(value))
    throw new Error(`phantom version ${value} is not known; expected ${PHANTOM_VERSIONS.join(' or ')}`);
  return value as PhantomVersion;
}
