import { BlobReferences } from '../blobs/blob-references';
import type { Db } from './db';

/** `BlobReferences` in one query over global_models, releases and the participants of open rounds. */
export class TypeOrmBlobReferences extends BlobReferences {
  constructor(private readonly db: Db) {
    super();
  }

  async referenced(): Promise<ReadonlySet<string>> {
    const rows: { sha256: string }[] = await this.db.query(`
      SELECT sha256 FROM global_models
      UNION SELECT server_state_sha256 FROM global_models WHERE server_state_sha256 IS NOT NULL
      UNION SELECT weights_sha256 FROM releases
      UNION SELECT p.update_sha256 FROM round_participants p
        JOIN rounds r ON r.study_id = p.study_id AND r.number = p.round_number
        WHERE p.update_sha256 IS NOT NULL AND r.state NOT IN ('completed', 'failed')`);
    return new Set(rows.map((r) => r.sha256));
  }
}
