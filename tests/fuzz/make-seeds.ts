// Writes the generated seed corpus (`node --import tsx tests/fuzz/make-seeds.ts`): for the blob
// targets, valid blobs of encodeBlob (f32, f16, q8, empty, a zero-size tensor); for socket-payloads,
// one valid payload of each event (its first byte picks the event, see targets/socket-payloads.ts),
// so mutations start from inputs that reach deep into the code under test.
import { releasedReport } from '@fedaln/metrics';
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
for (const target of ['blob-decoder', 'upload-header']) {
  const dir = path.join(FUZZ_ROOT, target, 'seeds');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, name), bytes);
}

const STUDY = '3f2a6c1e-8d4b-4c7a-9e10-5b6d7f8a9c0d';
const SHA = 'ab'.repeat(32);
const labels = Array.from({ length: 40 }, (_, i) => (i % 5 < 2 ? 1 : 0));
const scores = labels.map((y, i) => Math.min(1, Math.max(0, 0.3 + 0.4 * y + ((i * 37) % 11) / 40 - 0.12)));
const payloads: [string, unknown][] = [
  [
    'hello',
    {
      engine: 'cpu',
      cores: 2,
      gpu: null,
      n_train: 120,
      n_test: 30,
      client_version: '0.1.0',
      images_per_s: 3.5,
      clinical_features: true,
      secagg_prgs: ['aes-256-ctr', 'aes-128-ctr'],
    },
  ],
  ['download-begin', { study_id: STUDY, round: 1, model_sha256: SHA }],
  ['download-frame', { download_id: STUDY, index: 0 }],
  ['upload-begin', { study_id: STUDY, round: 2, sha256: SHA, bytes: 193_000, n_train: 120 }],
  ['upload-end', { upload_id: STUDY }],
  [
    'metrics-report',
    {
      study_id: STUDY,
      round: 1,
      model_version: 1,
      model_sha256: SHA,
      report: releasedReport({ labels, scores }),
    },
  ],
  [
    'train-progress',
    { study_id: STUDY, round: 1, epoch: 1, epochs: 2, batch: 3, batches: 4, loss: 0.69, images_per_s: 10 },
  ],
  ['upload-frame', { upload_id: STUDY, index: 0, data: 'FEDALN1' }],
  [
    'features-stats',
    { k: 2, information: [4, 1, 1, 3], score: [0.5, -0.25], deviance: 12.5, max_abs_eta: 2 },
  ],
];
const socketDir = path.join(FUZZ_ROOT, 'socket-payloads', 'seeds');
fs.mkdirSync(socketDir, { recursive: true });
payloads.forEach(([name, payload], i) => {
  const json = new TextEncoder().encode(JSON.stringify(payload));
  fs.writeFileSync(path.join(socketDir, `${i}-${name}.bin`), Buffer.concat([Uint8Array.of(i), json]));
});
