// Writes the binary seed corpus of the blob targets (fuzz/blob-decoder/seeds, fuzz/upload-header/seeds):
// `node --import tsx tests/fuzz/make-seeds.ts`. Each seed is a valid blob of encodeBlob (f32, f16, q8,
// empty, a zero-size tensor) so mutations start from inputs that reach deep into the decoder.
import { encodeBlob, type NamedTensor } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FUZZ_ROOT } from './support/fuzz-run';

const tensors = (n: number): NamedTensor[] => [
  {
    name: 'conv/kernel',
    shape: [2, 2, 1, n],
    values: Float32Array.from({ length: 4 * n }, (_, i) => (i - n) / 8),
  },
  { name: 'dense/bias', shape: [n], values: Float32Array.from({ length: n }, (_, i) => i * 0.25) },
];
const seeds: Record<string, Uint8Array> = {
  'empty.blob': encodeBlob([]).bytes,
  'f32.blob': encodeBlob(tensors(3)).bytes,
  'f16.blob': encodeBlob(tensors(2), { encoding: 'f16' }).bytes,
  'q8.blob': encodeBlob(tensors(4), { encoding: 'q8' }).bytes,
  'zero-size.blob': encodeBlob([{ name: 'none', shape: [0, 3], values: new Float32Array(0) }]).bytes,
};
for (const target of ['blob-decoder']) {
  const dir = path.join(FUZZ_ROOT, target, 'seeds');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, name), bytes);
}
