/**
 * What `fedaln-site inspect-data` says about each labels.csv row: the image the model will use, or
 * why the row is refused. Header values stay on this machine: this output is for the site's eyes.
 */
import type { DicomImageInfo, UltrasoundRegionUsed } from '@fedaln/model';
import { transferSyntaxName } from '@fedaln/model';

/** One row, as `--json` prints it (one JSON object a line). `row` is the labels.csv line number. */
export interface InspectedRow {
  row: number;
  case_id: string | null;
  image: string | null;
  status: 'ok' | 'refused';
  reason: string | null;
  transfer_syntax: string | null;
  photometric: string | null;
  frames: number | null;
  frame_used: number | null;
  width: number | null;
  height: number | null;
  region: { x0: number; y0: number; x1: number; y1: number; spacing_mm: [number, number] | null } | null;
}

const regionJson = (r: UltrasoundRegionUsed | null): InspectedRow['region'] =>
  r && { x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, spacing_mm: r.spacingMm };

/**
 * A row from what the decoder learnt (`dicom` null for PNG/JPEG or when nothing was learnt).
 * @example inspectedRow({ line: 2, caseId: 'c1', image: 'a.png', reason: null, dicom: null, size: [32, 24] }).status // 'ok'
 */
export function inspectedRow(r: {
  line: number;
  caseId: string | null;
  image: string | null;
  reason: string | null;
  dicom: DicomImageInfo | null;
  size: [number, number] | null;
}): InspectedRow {
  const d = r.dicom;
  return {
    row: r.line,
    case_id: r.caseId,
    image: r.image,
    status: r.reason === null ? 'ok' : 'refused',
    reason: r.reason,
    transfer_syntax: d?.transferSyntax ?? null,
    photometric: d?.photometric ?? null,
    frames: d?.frames ?? null,
    frame_used: d?.frameUsed ?? null,
    width: r.size?.[0] ?? d?.width ?? null,
    height: r.size?.[1] ?? d?.height ?? null,
    region: regionJson(d?.region ?? null),
  };
}

/**
 * The human line for a row.
 * @example formatInspectedRow(row) // 'line 2 (c1) img/a.dcm: ok, 22×14 px, RLE Lossless, MONOCHROME2, frame 2 of 4, B-mode region x 6..27 y 2..15 (0.1×0.12 mm/px)'
 */
export function formatInspectedRow(r: InspectedRow): string {
  const head = `line ${r.row}${r.case_id ? ` (${r.case_id})` : ''}${r.image ? ` ${r.image}` : ''}`;
  if (r.status === 'refused') return `${head}: REFUSED, ${r.reason}`;
  const parts = [`ok, ${r.width}×${r.height} px`];
  if (r.transfer_syntax) parts.push(transferSyntaxName(r.transfer_syntax) ?? r.transfer_syntax);
  if (r.photometric) parts.push(r.photometric);
  if (r.frames !== null) parts.push(`frame ${r.frame_used} of ${r.frames}`);
  if (r.region) {
    const g = r.region;
    const mm = g.spacing_mm ? ` (${+g.spacing_mm[0].toFixed(4)}×${+g.spacing_mm[1].toFixed(4)} mm/px)` : '';
    parts.push(`B-mode region x ${g.x0}..${g.x1} y ${g.y0}..${g.y1}${mm}`);
  } else if (r.transfer_syntax) {
    parts.push('no ultrasound region: whole image');
  }
  return `${head}: ${parts.join(', ')}`;
}
