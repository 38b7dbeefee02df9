/**
 * Which part of an ultrasound image the model sees: the B-mode region of the Sequence of Ultrasound
 * Regions (0018,6011; PS3.3 C.8.5.5), so annotation bars and burned-in text outside it never reach
 * the model.
 *
 * Rule: among the regions with Region Spatial Format 1 (2D) and Region Data Type 1 (tissue) whose
 * bounds lie inside the image, the largest by area (the first on a tie). Bounds are inclusive
 * (C.8.5.5.1.2). Spacing is Physical Delta X/Y in mm per pixel when both units are cm (code 3).
 */
import type { UltrasoundRegionUsed } from './dicom-refusal';

/** One item of (0018,6011) as read; null where the attribute is absent. */
export interface UltrasoundRegion {
  spatialFormat: number | null;
  dataType: number | null;
  x0: number | null;
  y0: number | null;
  x1: number | null;
  y1: number | null;
  unitsX: number | null;
  unitsY: number | null;
  deltaX: number | null;
  deltaY: number | null;
}

const SPATIAL_2D = 1;
const DATA_TISSUE = 1;
const UNITS_CM = 3;

/**
 * The region to crop to; null when the image has no regions (the whole image is used).
 * @returns `{ refused }` when regions exist but none is a 2D tissue region inside the image.
 * @example chooseUltrasoundRegion([{ spatialFormat: 1, dataType: 1, x0: 6, y0: 2, x1: 27, y1: 15, ... }], 32, 24)
 * // { x0: 6, y0: 2, x1: 27, y1: 15, spacingMm: [0.1, 0.12] }
 */
export function chooseUltrasoundRegion(
  regions: readonly UltrasoundRegion[] | null,
  width: number,
  height: number,
): UltrasoundRegionUsed | null | { refused: string } {
  if (regions === null || regions.length === 0) return null;
  let best: UltrasoundRegionUsed | null = null;
  let bestArea = 0;
  for (const r of regions) {
    if (r.spatialFormat !== SPATIAL_2D || r.dataType !== DATA_TISSUE) continue;
    const { x0, y0, x1, y1 } = r;
    if (x0 === null || y0 === null || x1 === null || y1 === null) continue;
    if (x1 < x0 || y1 < y0 || x1 >= width || y1 >= height) continue;
    const area = (x1 - x0 + 1) * (y1 - y0 + 1);
    if (area <= bestArea) continue;
    const cm = r.unitsX === UNITS_CM && r.unitsY === UNITS_CM && r.deltaX !== null && r.deltaY !== null;
    best = { x0, y0, x1, y1, spacingMm: cm ? [r.deltaX! * 10, r.deltaY! * 10] : null };
    bestArea = area;
  }
  if (best) return best;
  return {
    refused:
      `none of its ${regions.length} ultrasound region(s) (0018,6011) is a 2D tissue region ` +
      '(Region Spatial Format 1, Region Data Type 1) inside the image; there is no B-mode image to crop to',
  };
}
