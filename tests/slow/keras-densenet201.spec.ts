/**
 * Issue 17 acceptance: `fedaln-model import-keras` on a full-size DenseNet201 .h5 (≈ 82 MB, random
 * values, written by libs/model/fixtures/keras/make_keras_h5.py with h5py 3.7.0) then
 * `fedaln-model inspect --json` gives every one of the 1,006 tensors equal (sha256 of its float32
 * bytes) to h5py's reading of the file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  differingTensors,
  ensureDenseNet201H5,
  type ExpectedTensor,
  runModelCli,
} from './support/keras-densenet201';

let root: string;
let file: string;
let expected: ExpectedTensor[];
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-keras-201-'));
  file = path.join(root, 'densenet201_weights_tf_dim_ordering_tf_kernels.h5');
  expected = ensureDenseNet201H5(file);
}, 120_000);
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('import-keras on a full-size DenseNet201', () => {
  it("writes all 1,006 tensors (20,242,984 values) equal to h5py's reading", () => {
    // Keras DenseNet201 with its ImageNet top: 20,242,984 parameters (fedaln-model summary, cli.spec.ts).
    expect(expected).toHaveLength(1006);
    const out = path.join(root, 'densenet201');
    const r = runModelCli('import-keras', file, '--arch', 'densenet201', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(keras2-weights), 1006 tensors, 20242984 values');
    expect(r.stderr).toContain('read 1006/1006 tensors'); // progress on stderr for a big file
    const inspected = runModelCli('inspect', out, '--json');
    expect(inspected.code).toBe(0);
    expect(differingTensors(inspected.stdout, expected)).toEqual([]);
  }, 300_000);
});
