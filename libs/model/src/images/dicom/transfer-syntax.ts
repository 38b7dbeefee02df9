/**
 * The DICOM transfer syntaxes the site client reads, and why the others are refused
 * (PS3.5 §10 and Annex A; names from PS3.6 Annex A).
 */

export type PixelEncoding = 'native' | 'rle' | 'jpeg-baseline';

export interface TransferSyntax {
  uid: string;
  name: string;
  /** How the dataset is encoded, for the parser. */
  implicitVr: boolean;
  pixels: PixelEncoding;
}

/** The accepted transfer syntaxes: the ones ultrasound devices and PACS exports use. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', implicitVr: true, pixels: 'native' },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', implicitVr: false, pixels: 'native' },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', implicitVr: false, pixels: 'rle' },
  {
    uid: '1.2.840.10008.1.2.4.50',
    name: 'JPEG Baseline (Process 1)',
    implicitVr: false,
    pixels: 'jpeg-baseline',
  },
];

/** Known but refused, with the reason a site reads. */
const REFUSED: Readonly<Record<string, { name: string; why: string }>> = {
  '1.2.840.10008.1.2.2': {
    name: 'Explicit VR Big Endian',
    why: 'retired in DICOM 2004 and not read here; convert with `dcmconv +te`',
  },
  '1.2.840.10008.1.2.1.99': {
    name: 'Deflated Explicit VR Little Endian',
    why: 'deflated datasets are not read',
  },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', why: '12-bit JPEG is not decoded' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless (Process 14)', why: 'lossless JPEG is not decoded' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless SV1', why: 'lossless JPEG is not decoded' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', why: 'JPEG-LS is not decoded' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', why: 'JPEG-LS is not decoded' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Lossless', why: 'JPEG 2000 is not decoded' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', why: 'JPEG 2000 is not decoded' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile', why: 'video is not decoded' },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264', why: 'video is not decoded' },
  '1.2.840.10008.1.2.4.201': { name: 'HTJ2K Lossless', why: 'HTJ2K is not decoded' },
};

const SUPPORTED_LIST = SUPPORTED_TRANSFER_SYNTAXES.map((t) => `${t.uid} ${t.name}`).join(', ');

/** The name of a transfer syntax UID, or null when unknown. @example transferSyntaxName('1.2.840.10008.1.2.5') // 'RLE Lossless' */
export function transferSyntaxName(uid: string): string | null {
  return SUPPORTED_TRANSFER_SYNTAXES.find((t) => t.uid === uid)?.name ?? REFUSED[uid]?.name ?? null;
}

/**
 * The accepted transfer syntax of `uid`, or a refusal reason naming the UID and its name.
 * @example transferSyntax('1.2.840.10008.1.2.2') // { refused: 'transfer syntax 1.2.840.10008.1.2.2 (Explicit VR Big Endian) ...' }
 */
export function transferSyntax(uid: string): TransferSyntax | { refused: string } {
  const known = SUPPORTED_TRANSFER_SYNTAXES.find((t) => t.uid === uid);
  if (known) return known;
  const refused = REFUSED[uid];
  const what = refused ? `${uid} (${refused.name})` : `${uid} (unknown)`;
  return {
    refused: `transfer syntax ${what} is not supported${refused ? `: ${refused.why}` : ''}; expected one of ${SUPPORTED_LIST}`,
  };
}
