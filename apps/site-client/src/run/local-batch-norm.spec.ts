import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkDir } from '../transfer/work-dir';
import { sharedUpdate } from './local-batch-norm';

const delta = Object.freeze([
  { name: 'conv1_conv/kernel', shape: [2], values: Float32Array.of(0.5, -0.5) },
  { name: 'conv1_bn/gamma', shape: [2], values: Float32Array.of(0.1, 0.2) },
  { name: 'conv1_bn/moving_variance', shape: [2], values: Float32Array.of(3, 4) },
]);

describe('FedBN at the site', () => {
  it('uploads zero BatchNorm deltas in a fedbn study and the update as trained otherwise', () => {
    const fedbn = sharedUpdate([...delta], { strategy: { name: 'fedbn' } });
    expect(fedbn.map((t) => Array.from(t.values))).toEqual([
      [0.5, -0.5],
      [0, 0],
      [0, 0],
    ]);
    expect(Array.from(delta[1]!.values).map((v) => +v.toFixed(6))).toEqual([0.1, 0.2]); // input untouched
    for (const task of [{}, { strategy: { name: 'fedprox', mu: 0.1 } as const }])
      expect(sharedUpdate([...delta], task)).toEqual([...delta]);
  });

  it('keeps a study’s BatchNorm blob in <work-dir>/batchnorm, 0600, none before its first round', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-fedbn-'));
    try {
      const work = new WorkDir(dir);
      await work.init();
      expect(await work.localBatchNorm('study-1')).toBeNull();
      await work.saveLocalBatchNorm('study-1', Uint8Array.of(1, 2, 3));
      expect(Array.from((await work.localBatchNorm('study-1'))!)).toEqual([1, 2, 3]);
      const file = path.join(dir, 'batchnorm', 'study-1.blob');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'batchnorm')).mode & 0o777).toBe(0o700);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
