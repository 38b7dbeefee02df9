export { BlobFormatError } from './blob-format-error';
export {
  openBlob,
  openBlobFile,
  type BlobReader,
  type BlobTensor,
  type OpenBlobOptions,
  type TensorReader,
} from './blob-reader';
export { blobBounds, type BlobBounds, type LayoutTensor } from './blob-bounds';
export { F32_CHUNK_VALUES, f32BlobChunks, type FillTensorChunk, type TensorLayout } from './blob-writer';
export { assertHeaderWithin, blobHeadLength, decodeBlob, readBlobHeader } from './decode';
export { encodeBlob, type EncodedBlob, type EncodeOptions } from './encode';
export { float16BitsToNumber, float32BitsToFloat16Bits } from './f16';
export {
  BLOB_FORMAT,
  BLOB_MAGIC,
  BLOB_PREAMBLE_BYTES,
  TENSOR_ENCODINGS,
  type BlobHeader,
  type TensorEncoding,
  type TensorEntry,
} from './header';
export { bytesSource, fileSource, type PositionalSource } from './positional-source';
export { dequantizeQ8, quantizeQ8, type Q8Params } from './q8';
export { blobSha256 } from './sha256';
