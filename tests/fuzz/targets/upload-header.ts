import {
  assertHeaderWithin,
  BlobFormatError,
  blobBounds,
  bytesSource,
  decodeBlob,
  elementCount,
  FRAME_BYTES,
  openBlob,
  type TensorReader,
} from '@fedaln/protocol';
import { allowOnly, expectThat, type FuzzTarget } from '../support/fuzz-target';

/** The round model's layout the bound is taken from (that of the largest seed blob). */
const LAYOUT = [
  { name: 'conv/kernel', shape: [2, 2, 1, 4] },
  { name: 'dense/bias', shape: [4] },
];
const { maxHeaderBytes } = blobBounds(LAYOUT);
/** Values read at a time, as the aggregator reads an update in chunks (a prime, so chunks end mid-tensor). */
const CHUNK = 7;

/**
 * The coordinator's path for an uploaded update (uploads/upload-intake.ts): the first frame's header
 * length checked against the round layout's bound before anything is parsed (`assertHeaderWithin`),
 * then the verified spool opened without reading it whole (`openBlob`, here over the bytes) and
 * every tensor read in chunks. Refusal: BlobFormatError only (a non-finite f16 value too, while
 * reading). Accepted: the header fits the bound, every chunk reads, and where `decodeBlob` accepts
 * the same bytes the values are identical (the streaming and the whole-blob decoders agree).
 */
export const uploadHeader: FuzzTarget = {
  name: 'upload-header',
  description:
    'assertHeaderWithin(first frame) + openBlob(bytes, {maxHeaderBytes}) + chunked reads; refusal: BlobFormatError',
  dictionary: [
    'FEDALN1\0',
    '"format":1',
    '"tensors":[',
    '"shape":[',
    '"encoding":"f16"',
    '"encoding":"q8"',
    '"offset":',
    '"length":',
    '"scale":',
    '"min":',
    '"name":"dense/bias"',
  ],
  maxLength: 4096,
  run(data) {
    try {
      assertHeaderWithin(data.subarray(0, FRAME_BYTES), maxHeaderBytes);
    } catch (e) {
      allowOnly(e, BlobFormatError);
      return;
    }
    let tensors: readonly TensorReader[];
    let headerBytes: number;
    try {
      const blob = openBlob(bytesSource(data), { maxHeaderBytes });
      tensors = blob.tensors as TensorReader[];
      headerBytes = new DataView(data.buffer, data.byteOffset + 8, 4).getUint32(0, true);
    } catch (e) {
      allowOnly(e, BlobFormatError);
      return;
    }
    expectThat(
      headerBytes <= maxHeaderBytes,
      () => `a ${headerBytes}-byte header passed the ${maxHeaderBytes}-byte bound`,
    );
    const streamed: Float32Array[] = [];
    try {
      for (const t of tensors) {
        const values = new Float32Array(elementCount(t.shape));
        for (let from = 0; from < values.length; from += CHUNK)
          t.read(from, values.subarray(from, from + CHUNK));
        streamed.push(values);
      }
    } catch (e) {
      allowOnly(e, BlobFormatError);
      return;
    }
    let whole;
    try {
      whole = decodeBlob(data);
    } catch (e) {
      allowOnly(e, BlobFormatError);
      // Documented difference: the streaming reader leaves f32 NaN/±∞ to its consumer.
      expectThat(
        /not finite/.test((e as Error).message),
        () => `decodeBlob refused what openBlob read: ${(e as Error).message}`,
      );
      return;
    }
    expectThat(
      whole.length === streamed.length &&
        whole.every(
          (t, i) =>
            t.values.length === streamed[i]!.length &&
            t.values.every((v, j) => Object.is(v, streamed[i]![j])),
        ),
      () => 'openBlob chunked reads and decodeBlob disagree',
    );
  },
};
