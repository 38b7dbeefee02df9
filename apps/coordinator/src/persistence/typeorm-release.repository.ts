import { parseReleaseManifest } from '@fedaln/protocol';
import type { Db } from './db';
import type { ReleaseVerdict } from '../evaluation/release-policy';
import type { ReleaseRecord } from '../releases/release-record';
import { ReleaseRepository, VerdictRepository, type RecordedVerdict } from '../releases/release.repository';

/**
 * Both tables hold their domain record as jsonb beside the columns that are queried, so the record
 * read back is exactly the one signed and stored. Plain SQL: the rows never leave this adapter.
 */
interface VerdictRow {
  study_id: string;
  round_number: number;
  verdict: ReleaseVerdict;
  recorded_at: Date;
}

const verdictOf = (r: VerdictRow): RecordedVerdict => ({
  studyId: r.study_id,
  round: r.round_number,
  verdict: r.verdict,
  recordedAt: new Date(r.recorded_at),
});

export class TypeOrmVerdictRepository extends VerdictRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  async save(studyId: string, round: number, verdict: ReleaseVerdict): Promise<RecordedVerdict> {
    const rows = (await this.ds.query(
      `INSERT INTO release_verdicts (study_id, round_number, pass, verdict, recorded_at)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (study_id, round_number)
       DO UPDATE SET pass = EXCLUDED.pass, verdict = EXCLUDED.verdict, recorded_at = EXCLUDED.recorded_at
       RETURNING study_id, round_number, verdict, recorded_at`,
      [studyId, round, verdict.pass, JSON.stringify(verdict)],
    )) as VerdictRow[];
    return verdictOf(rows[0]!);
  }

  async find(studyId: string, round: number): Promise<RecordedVerdict | null> {
    const rows = (await this.ds.query(
      `SELECT study_id, round_number, verdict, recorded_at FROM release_verdicts
       WHERE study_id = $1 AND round_number = $2`,
      [studyId, round],
    )) as VerdictRow[];
    return rows[0] ? verdictOf(rows[0]) : null;
  }

  async list(studyId: string): Promise<RecordedVerdict[]> {
    const rows = (await this.ds.query(
      `SELECT study_id, round_number, verdict, recorded_at FROM release_verdicts
       WHERE study_id = $1 ORDER BY round_number`,
      [studyId],
    )) as VerdictRow[];
    return rows.map(verdictOf);
  }
}

export class TypeOrmReleaseRepository extends ReleaseRepository {
  constructor(private readonly ds: Db) {
    super();
  }

  async nextVersion(): Promise<number> {
    const rows = (await this.ds.query(`SELECT COALESCE(MAX(version), 0) + 1 AS next FROM releases`)) as {
      next: number | string;
    }[];
    return Number(rows[0]!.next);
  }

  async add(record: ReleaseRecord): Promise<ReleaseRecord> {
    await this.ds.query(
      `INSERT INTO releases (version, study_id, round_number, weights_sha256, record, created_at,
                             manifest_sha256, previous_manifest_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        record.version,
        record.study_id,
        record.round,
        record.weights_sha256,
        JSON.stringify(record),
        record.created_at,
        record.manifest?.sha256 ?? null,
        record.manifest ? parseReleaseManifest(record.manifest.text).previous_manifest_sha256 : null,
      ],
    );
    return record;
  }

  async lastManifestSha256(studyId: string): Promise<string | null> {
    const rows = (await this.ds.query(
      `SELECT manifest_sha256 FROM releases WHERE study_id = $1 AND manifest_sha256 IS NOT NULL
       ORDER BY version DESC LIMIT 1`,
      [studyId],
    )) as { manifest_sha256: string }[];
    return rows[0]?.manifest_sha256 ?? null;
  }

  async find(version: number): Promise<ReleaseRecord | null> {
    const rows = (await this.ds.query(`SELECT record FROM releases WHERE version = $1`, [version])) as {
      record: ReleaseRecord;
    }[];
    return rows[0]?.record ?? null;
  }

  async findByRound(studyId: string, round: number): Promise<ReleaseRecord | null> {
    const rows = (await this.ds.query(
      `SELECT record FROM releases WHERE study_id = $1 AND round_number = $2`,
      [studyId, round],
    )) as { record: ReleaseRecord }[];
    return rows[0]?.record ?? null;
  }

  async list(studyId?: string): Promise<ReleaseRecord[]> {
    const rows = (await (studyId === undefined
      ? this.ds.query(`SELECT record FROM releases ORDER BY version DESC`)
      : this.ds.query(`SELECT record FROM releases WHERE study_id = $1 ORDER BY version DESC`, [
          studyId,
        ]))) as { record: ReleaseRecord }[];
    return rows.map((r) => r.record);
  }
}
