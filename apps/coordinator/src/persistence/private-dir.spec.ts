import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileBlobStore } from '../blobs/blob-store';
import { FileMetricsReportStore } from '../evaluation/metrics-report-store';
import { FeatureModelStore } from '../evaluation/feature-model';
import { metricsReport } from '../../../../tests/medium/coordinator-in-memory';
import { privateDataDir, writePrivateJson } from './private-dir';

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

// Issue 14: under umask 022 the data directory, the metrics folder and the reports were world-readable.
describe('the data directory under umask 022', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    umask = process.umask(0o022);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-private-dir-'));
  });
  afterAll(() => {
    process.umask(umask);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('privateDataDir creates 0700, and narrows a 0755 folder of an older coordinator to 0700', () => {
    const fresh = path.join(root, 'a', 'data');
    expect(privateDataDir(fresh)).toBeNull();
    expect(mode(fresh)).toBe(0o700);
    const old = path.join(root, 'old');
    fs.mkdirSync(old, { mode: 0o755 });
    expect(mode(old)).toBe(0o755);
    expect(privateDataDir(old)).toBe(0o755);
    expect(mode(old)).toBe(0o700);
  });

  it('metrics reports: folders 0700, files 0600', async () => {
    const dir = path.join(root, 'data', 'metrics');
    await new FileMetricsReportStore(dir).save({
      studyId: 'study-1',
      round: 2,
      siteId: 'site-a',
      modelVersion: 2,
      modelSha256: 'ab'.repeat(32),
      receivedAt: '2026-12-04T10:00:00.000Z',
      report: metricsReport(0.8),
    });
    for (const d of [dir, path.join(dir, 'study-1'), path.join(dir, 'study-1', '2')])
      expect(mode(d)).toBe(0o700);
    expect(mode(path.join(dir, 'study-1', '2', 'site-a.json'))).toBe(0o600);
  });

  it('the blob store and the feature-model store: folders 0700, the fitted model 0600', async () => {
    const blobs = path.join(root, 'data', 'blobs');
    const stored = await new FileBlobStore(blobs).put(new Uint8Array([1, 2, 3]));
    expect(mode(blobs)).toBe(0o700);
    fs.readdirSync(blobs, { recursive: true, withFileTypes: true })
      .filter((e) => e.isDirectory())
      .forEach((e) => expect(mode(path.join(e.parentPath, e.name))).toBe(0o700));
    expect(stored.bytes).toBe(3);
    const fm = path.join(root, 'data', 'feature-models');
    await new FeatureModelStore(fm).save('study-1', {
      covariates: ['(intercept)'],
      coefficients: [0.1],
      std_errors: [0.01],
      p: [0.5],
      sites: ['site-a'],
    });
    expect([
      mode(fm),
      mode(path.join(fm, 'study-1')),
      mode(path.join(fm, 'study-1', 'feature-model.json')),
    ]).toEqual([0o700, 0o700, 0o600]);
  });
});

describe('writePrivateJson', () => {
  it('replaces the file whole, owner-only, and leaves no temporary beside it', async () => {
    const umask = process.umask(0o022);
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-private-json-')), 'study-1');
    try {
      await writePrivateJson(dir, 'post-training.json', { round: 2, nomogram: false });
      await writePrivateJson(dir, 'post-training.json', { round: 3, nomogram: true });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'post-training.json'), 'utf8'))).toEqual({
        round: 3,
        nomogram: true,
      });
      expect([mode(dir), mode(path.join(dir, 'post-training.json'))]).toEqual([0o700, 0o600]);
      expect(fs.readdirSync(dir)).toEqual(['post-training.json']);
    } finally {
      process.umask(umask);
    }
  });
});
