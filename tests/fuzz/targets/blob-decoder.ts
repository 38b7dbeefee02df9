import { BlobFormatError, decodeBlob, elementCount, encodeBlob } from '@fedaln/protocol';
import { allowOnly, expectThat, type FuzzTarget } from '../support/fuzz-target';

/**
 * `decodeBlob` (libs/protocol blob/decode.ts) on arbitrary bytes: refuses with a BlobFormatError
 * only; an accepted blob gives unique names, as many finite float32 values as each shape says, at
 * most one value per input byte (q8, the densest encoding, is one byte a value: the output is bounded
 * by the input), and re-encodes as f32 to the same values.
 */
export const blobDecoder: FuzzTarget = {
  name: 'blob-decoder',
  description: 'decodeBlob(bytes); documented refusal: BlobFormatError',
  dictionary: [
    'FEDALN1\0',
    '"format":1',
    '"tensors":[',
    '"name":"w"',
    '"shape":[',
    '"dtype":"float32"',
    '"encoding":"f32"',
    '"encoding":"f16"',
    '"encoding":"q8"',
    '"offset":',
    '"length":',
    '"scale":',
    '"min":',
    '1e308',
    '-0',
    '"__proto__"',
    '{}',
    '[]',
    '\u0000',
  ],
  maxLength: 4096,
  run(data) {
    let tensors;
    try {
      tensors = decodeBlob(data);
    } catch (e) {
      allowOnly(e, BlobFormatError);
      return;
    }
    const names = new Set<string>();
    let values = 0;
    for (const t of tensors) {
      expectThat(!names.has(t.name), () => `tensor name "${t.name}" accepted twice`);
      names.add(t.name);
      expectThat(t.values instanceof Float32Array, () => `tensor "${t.name}" values are not a Float32Array`);
      expectThat(
        t.values.length === elementCount(t.shape),
        () => `tensor "${t.name}" has ${t.values.length} values for shape [${t.shape.join(',')}]`,
      );
      expectThat(t.values.every(Number.isFinite), () => `tensor "${t.name}" has a non-finite value`);
      values += t.values.length;
    }
    expectThat(values <= data.length, () => `${values} values decoded from ${data.length} bytes`);
    const again = decodeBlob(encodeBlob(tensors).bytes);
    expectThat(
      again.every((t, i) => t.values.every((v, j) => Object.is(v, tensors[i]!.values[j]))),
      () => 'an accepted blob does not round-trip through encodeBlob (f32)',
    );
  },
};
