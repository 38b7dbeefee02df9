import { afterAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { metricsReport } from '../../../../tests/medium/coordinator-in-memory';
import { FileMetricsReportStore } from './metrics-report-store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-report-store-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const stored = (siteId: string, round: number) => ({
  studyId: 'study-1',
  round,
  siteId,
  modelVersion: round,
  modelSha256: 'ab'.repeat(32),
  receivedAt: '2026-12-04T10:00:00.000Z',
  report: metricsReport(0.8),
});

describe('FileMetricsReportStore.reportedSites', () => {
  it("names the round's reporting sites as list() does, without reading the reports", async () => {
    const store = new FileMetricsReportStore(root);
    for (const [site, round] of [
      ['site-b', 1],
      ['site-a', 1],
      ['site-c', 2],
    ] as const)
      await store.save(stored(site, round));
    // A save interrupted before its rename leaves a dot-temporary: not a report.
    fs.writeFileSync(path.join(root, 'study-1', '1', '.site-d.0a1b2c.tmp'), '{');
    expect((await store.reportedSites('study-1', 1)).sort()).toEqual(['site-a', 'site-b']);
    expect((await store.list('study-1', 1)).map((r) => r.siteId)).toEqual(['site-a', 'site-b']);
    expect(await store.reportedSites('study-1', 2)).toEqual(['site-c']);
    expect(await store.reportedSites('study-1', 3)).toEqual([]); // no report yet: no folder
  });
});
