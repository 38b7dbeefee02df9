/**
 * Writes an 8-bit MONOCHROME2 Ultrasound Image (PS3.3 A.6) as a DICOM Part 10 file in Explicit VR
 * Little Endian (PS3.5 §7.1.2, PS3.10 §7.1), with one Sequence of Ultrasound Regions item
 * (C.8.5.5) for the B-mode image. Lossless, so a phantom site in DICOM decodes to exactly its PNG
 * pixels. Pure: returns the bytes.
 */
import { createHash } from 'node:crypto';
import type { UltrasoundScreen } from './ultrasound-screen';

const US_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** 2.25 root (PS3.5 B.2): UUID-derived UIDs need no registered root. */
const IMPLEMENTATION_CLASS_UID = '2.25.302521370546843512916126813418093125113';
/** VRs with a 4-byte length after two reserved bytes (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

/** A 2.25 UID from a name, deterministic (first 128 bits of its SHA-256). */
export function uidFor(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

function element(group: number, el: number, vr: string, value: Uint8Array): Buffer {
  const padded =
    value.length % 2 === 0
      ? value
      : Buffer.concat([value, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(el, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(padded.length, 8);
  else head.writeUInt16LE(padded.length, 6);
  return Buffer.concat([head, padded]);
}

const str = (g: number, e: number, vr: string, s: string): Buffer =>
  element(g, e, vr, Buffer.from(s, 'latin1'));
const us = (g: number, e: number, v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return element(g, e, 'US', b);
};
const ul = (g: number, e: number, v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return element(g, e, 'UL', b);
};
const fd = (g: number, e: number, v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return element(g, e, 'FD', b);
};

function sequenceItem(content: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(content.length, 4);
  return Buffer.concat([head, content]);
}

export interface UltrasoundDicomInput {
  screen: UltrasoundScreen;
  /** Names the case in Patient's Name/ID and seeds the UIDs. */
  caseId: string;
  /** Study-unique text the UIDs derive from (e.g. seed and site). */
  uidSeed: string;
  /** Millimetres per pixel of the B-mode image, both directions. */
  pixelMm: number;
}

/**
 * The file's bytes.
 * @example writeFileSync('a.dcm', ultrasoundDicom({ screen, caseId: 'site1-0001', uidSeed: 'seed 1', pixelMm: 45 / 224 }));
 */
export function ultrasoundDicom(input: UltrasoundDicomInput): Buffer {
  const { screen, caseId } = input;
  const instance = uidFor(`${input.uidSeed}/${caseId}/instance`);
  const cm = input.pixelMm / 10;
  const region = Buffer.concat([
    us(0x0018, 0x6012, 1), // Region Spatial Format: 2D
    us(0x0018, 0x6014, 1), // Region Data Type: tissue
    ul(0x0018, 0x6016, 0), // Region Flags
    ul(0x0018, 0x6018, screen.region.x0),
    ul(0x0018, 0x601a, screen.region.y0),
    ul(0x0018, 0x601c, screen.region.x1),
    ul(0x0018, 0x601e, screen.region.y1),
    us(0x0018, 0x6024, 3), // Physical Units X: cm
    us(0x0018, 0x6026, 3), // Physical Units Y: cm
    fd(0x0018, 0x602c, cm),
    fd(0x0018, 0x602e, cm),
  ]);
  const dataset = Buffer.concat([
    str(0x0008, 0x0016, 'UI', US_IMAGE_STORAGE),
    str(0x0008, 0x0018, 'UI', instance),
    str(0x0008, 0x0060, 'CS', 'US'),
    str(0x0008, 0x0070, 'LO', 'FedALN phantom'),
    str(0x0010, 0x0010, 'PN', `PHANTOM^${caseId}`),
    str(0x0010, 0x0020, 'LO', caseId),
    element(0x0018, 0x6011, 'SQ', sequenceItem(region)),
    str(0x0020, 0x000d, 'UI', uidFor(`${input.uidSeed}/${caseId}/study`)),
    str(0x0020, 0x000e, 'UI', uidFor(`${input.uidSeed}/${caseId}/series`)),
    us(0x0028, 0x0002, 1),
    str(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    us(0x0028, 0x0010, screen.height),
    us(0x0028, 0x0011, screen.width),
    us(0x0028, 0x0100, 8),
    us(0x0028, 0x0101, 8),
    us(0x0028, 0x0102, 7),
    us(0x0028, 0x0103, 0),
    element(0x7fe0, 0x0010, 'OB', screen.data),
  ]);
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    str(0x0002, 0x0002, 'UI', US_IMAGE_STORAGE),
    str(0x0002, 0x0003, 'UI', instance),
    str(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    str(0x0002, 0x0012, 'UI', IMPLEMENTATION_CLASS_UID),
    str(0x0002, 0x0013, 'SH', 'FEDALN_PHANTOM'),
  ]);
  const groupLength = ul(0x0002, 0x0000, metaBody.length);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, metaBody, dataset]);
}
