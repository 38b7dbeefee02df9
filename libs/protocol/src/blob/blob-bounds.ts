import { elementCount } from '../tensor';
import { align8, BLOB_FORMAT, BLOB_PREAMBLE_BYTES, ENCODING_BYTES, type TensorEntry } from './header';

/** A tensor's place in a model: what fixes an update's header, whatever its values. */
export interface LayoutTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The largest header and blob an update of a layout can need (see {@link blobBounds}). */
export interface BlobBounds {
  /** Bytes of the JSON header, the u32 after the magic. */
  readonly maxHeaderBytes: number;
  readonly maxBlobBytes: number;
}

/**
 * The longest text `JSON.stringify` gives a double (ECMA-262 Number::toString): 17 significant
 * digits with a sign, either in the decimal form down to 1e-6 (`-0.0000012345678901234567`, 25
 * characters) or with an exponent (`-1.2345678901234567e-308`, 24).
 */
const LONGEST_NUMBER = -0.0000012345678901234567;

/**
 * The most header and blob bytes an update of `layout` can take when encoded as `encodeBlob` does
 * (DESIGN.md "Wire format"): every tensor's entry at its longest — q8, so with `scale` and `min`, each
 * the longest a double can print, offsets and lengths of 16 digits — and every tensor's data at
 * its largest, f32 (4 bytes a value) padded to 8. An honest update is never larger, so a larger
 * header or blob is refused before its JSON is parsed or its bytes accepted.
 *
 * @example
 * blobBounds([{ name: 'dense/kernel', shape: [1920, 1] }]);
 * // { maxHeaderBytes: 217, maxBlobBytes: 7912 }
 */
export function blobBounds(layout: readonly LayoutTensor[]): BlobBounds {
  const longest = (t: LayoutTensor): TensorEntry => ({
    name: t.name,
    shape: [...t.shape],
    dtype: 'float32',
    encoding: 'q8',
    offset: Number.MAX_SAFE_INTEGER,
    length: Number.MAX_SAFE_INTEGER,
    scale: LONGEST_NUMBER,
    min: LONGEST_NUMBER,
  });
  const json = JSON.stringify({ format: BLOB_FORMAT, tensors: layout.map(longest) });
  const maxHeaderBytes = new TextEncoder().encode(json).length;
  let data = 0;
  for (const t of layout) data += align8(elementCount(t.shape) * ENCODING_BYTES.f32);
  return { maxHeaderBytes, maxBlobBytes: align8(BLOB_PREAMBLE_BYTES + maxHeaderBytes) + data };
}
