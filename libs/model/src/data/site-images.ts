/**
 * How the model opens a site folder's images for `readSiteFolder` of @fedaln/site-data: decoded with
 * sharp (DICOM through images/source-image.ts) and normalised as the model expects (images/decode.ts).
 */
import type { OpenImage } from '@fedaln/site-data';
import { loadImage } from '../images/decode';

/**
 * An `OpenImage` that decodes every image: with `inputSize` it keeps the decoded, normalised pixels
 * at that side; without, it only checks the image (a full decode, not just the header, also catches
 * truncated files; 8 px keeps it cheap) and keeps nothing.
 * @example const site = await readSiteFolder('/data/site-a', { seed: 1, openImage: siteImageOpener(224) });
 */
export function siteImageOpener(inputSize?: number): OpenImage {
  return async (imagePath, row) => {
    const decoded = await loadImage(imagePath, inputSize ?? 8, { frame: row?.frame ?? null });
    return inputSize !== undefined ? decoded : undefined;
  };
}
