export { BlobFormatError } from './blob-format-error';
export { decodeBlob, readBlobHeader } from './decode';
export {
  encodeBlob,
  f32BlobLayout,
  type EncodedBlob,
  type EncodeOptions,
  type F32BlobLayout,
} from './encode';
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
export { dequantizeQ8, quantizeQ8, type Q8Params } from './q8';
export { blobSha256 } from './sha256';
