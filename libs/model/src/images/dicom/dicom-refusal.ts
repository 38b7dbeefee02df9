/**
 * A DICOM file the site client will not use, with the reason a site reads and what was learnt of
 * the file before refusing (for `fedaln-site inspect-data`; these stay at the site).
 */

/** What is known of a DICOM image: its encoding, and, once decoded, the frame and crop used. */
export interface DicomImageInfo {
  /** Transfer syntax UID from the File Meta header. */
  transferSyntax: string | null;
  photometric: string | null;
  frames: number | null;
  /** 1-based frame number used. */
  frameUsed: number | null;
  /** Size after cropping to the ultrasound region. */
  width: number | null;
  height: number | null;
  region: UltrasoundRegionUsed | null;
}

/** The ultrasound region cropped to: inclusive pixel bounds, and mm per pixel when the units are cm. */
export interface UltrasoundRegionUsed {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  spacingMm: [number, number] | null;
}

export const NO_DICOM_INFO: DicomImageInfo = {
  transferSyntax: null,
  photometric: null,
  frames: null,
  frameUsed: null,
  width: null,
  height: null,
  region: null,
};

export class DicomRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly info: DicomImageInfo = NO_DICOM_INFO,
  ) {
    super(reason);
    this.name = 'DicomRefusal';
  }
}
