import type { SiteMetricsReport } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writePrivateJson } from '../persistence/private-dir';

export interface StoredMetricsReport {
  readonly studyId: string;
  readonly round: number;
  readonly siteId: string;
  readonly modelVersion: number;
  readonly modelSha256: string;
  readonly receivedAt: string;
  readonly report: SiteMetricsReport;
  /** The site's report on its validation cases (issue 15); absent in studies without a validation split. */
  readonly validation?: SiteMetricsReport;
}

/** Port: one metrics report per (study, round, site); a later report for the same key replaces it. */
export abstract class MetricsReportStore {
  abstract save(report: StoredMetricsReport): Promise<void>;
  abstract list(studyId: string, round: number): Promise<StoredMetricsReport[]>;
  /**
   * The sites with a stored report for the round, without reading the reports: called after every
   * report to see whether the round's evaluation is complete, so reading them all there cost
   * N(N+1)/2 file reads a round (bench/load.bench.ts, 100 sites).
   */
  abstract reportedSites(studyId: string, round: number): Promise<string[]>;
}

/**
 * JSON files `<data-dir>/metrics/<study>/<round>/<site>.json`, written to a temporary name, fsynced
 * and renamed, so a crash leaves either the old report or the new one. Reports are aggregates under the
 * privacy rule (every count 0 or ≥ k cases of a class), never per-case data; still, another site's report is
 * the lead's only, so folders are 0700 and files 0600.
 *
 * @example
 * await new FileMetricsReportStore(dir).save({ studyId, round: 1, siteId, ...report });
 */
export class FileMetricsReportStore extends MetricsReportStore {
  constructor(private readonly root: string) {
    super();
  }

  async save(report: StoredMetricsReport): Promise<void> {
    const dir = path.join(this.root, report.studyId, String(report.round));
    await writePrivateJson(dir, `${report.siteId}.json`, report);
  }

  async reportedSites(studyId: string, round: number): Promise<string[]> {
    const names = await fs.promises.readdir(path.join(this.root, studyId, String(round))).catch(() => []);
    // `save` renames a whole file into `<site>.json`; temporaries start with a dot.
    return names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.json'.length));
  }

  async list(studyId: string, round: number): Promise<StoredMetricsReport[]> {
    const dir = path.join(this.root, studyId, String(round));
    const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
    const reports = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => readStored(path.join(dir, n))),
    );
    return reports
      .filter((r): r is StoredMetricsReport => r !== null)
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
  }
}

/**
 * A stored report, or null when the file is not a report's JSON (a disk fault or a hand edit: `save`
 * writes whole files only). Its `report` is checked by the reader (`siteReportProblem`).
 */
async function readStored(file: string): Promise<StoredMetricsReport | null> {
  try {
    const stored: unknown = JSON.parse(await fs.promises.readFile(file, 'utf8'));
    const s = stored as Partial<StoredMetricsReport> | null;
    return typeof s?.siteId === 'string' && typeof s.receivedAt === 'string'
      ? (s as StoredMetricsReport)
      : null;
  } catch {
    return null;
  }
}
