import type { WeightTensor } from '@fedaln/aggregation';
import { decodeBlob, readBlobHeader } from '@fedaln/protocol';

/**
 * Decodes a site's update blob for folding. All-f32 blobs (the usual case) become Float32Array
 * views of `bytes` instead of copies, so verifying an 80 MB DenseNet201 update costs no second
 * 80 MB; the codec aligns every tensor to 8 bytes, so a view is possible whenever `bytes` itself is
 * 4-byte aligned. Other encodings are decoded by `decodeBlob`.
 *
 * @example
 * const update = decodeUpdate(await fs.promises.readFile(file));
 */
export function decodeUpdate(bytes: Uint8Array): WeightTensor[] {
  const { header, dataStart } = readBlobHeader(bytes);
  const viewable =
    (bytes.byteOffset + dataStart) % 4 === 0 && header.tensors.every((t) => t.encoding === 'f32');
  if (!viewable) return decodeBlob(bytes);
  return header.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    values: new Float32Array(bytes.buffer, bytes.byteOffset + dataStart + t.offset, t.length / 4),
  }));
}
