/**
 * Recognises DICOM by content, not by file name (PS3.10 §7.1): a Part 10 file has a 128-byte
 * preamble then `DICM`; some writers omit both and start with the File Meta group (0002,xxxx);
 * a bare dataset (no meta header at all) starts with a group-0008 element.
 */

export type DicomSniff = 'part10' | 'part10-no-preamble' | 'dataset-without-meta' | null;

/**
 * What the first bytes say.
 * @example sniffDicom(fs.readFileSync('a.dcm')) // 'part10'
 */
export function sniffDicom(bytes: Uint8Array): DicomSniff {
  if (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  ) {
    return 'part10';
  }
  if (bytes.length < 8) return null;
  const group = bytes[0]! | (bytes[1]! << 8);
  const element = bytes[2]! | (bytes[3]! << 8);
  // Meta elements are explicit VR: (0002,0000) UL or (0002,0001) OB, etc.
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (group === 0x0002 && element <= 0x0102 && /^(UL|OB|UI|SH|AE)$/.test(vr)) return 'part10-no-preamble';
  if (group === 0x0008 && element <= 0x0020) return 'dataset-without-meta';
  return null;
}
