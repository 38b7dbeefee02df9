import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  TypeOrmReleaseRepository,
  TypeOrmVerdictRepository,
} from '../../apps/coordinator/src/persistence/typeorm-release.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import type { ReleaseVerdict } from '../../apps/coordinator/src/evaluation/release-policy';
import type { ReleaseRecord } from '../../apps/coordinator/src/releases/release-record';
import { exampleStudySpec } from './coordinator-fixtures';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

const failing: ReleaseVerdict = {
  pass: false,
  reasons: [{ metric: 'pooled_auc', value: 0.6, threshold: 0.7, message: 'pooled AUC 0.6 is below 0.7' }],
  sites: [],
  sites_passing: 0,
  sites_required: 0,
};

function record(version: number, studyId: string, round: number): ReleaseRecord {
  return {
    version,
    study_id: studyId,
    round,
    weights_sha256: 'ab'.repeat(32),
    model: { arch: 'densenet-tiny', input_size: 64 },
    sites: [{ site_id: 's1', name: 'Hospital A', n_train: 10, n_test: 5 }],
    metrics: { sites: [], pooled: { auc: 0.6, auc_ci: [0.5, 0.7], dca_range: null } },
    verdict: failing,
    override_reason: 'a reason long enough to be kept with it',
    created_at: '2026-11-27T05:00:00.000Z',
    signature: 'c2lnbmF0dXJl',
    ed25519_public_key: 'a2V5',
  };
}

describe.each(databaseTargets())('release persistence on %s', (target) => {
  let db: TestDatabase;
  let studyId = '';
  beforeAll(async () => {
    db = await openTestDatabase(target, 'releases');
    studyId = (await new TypeOrmStudyRepository(db.dataSource).create(exampleStudySpec(['s1']))).id;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('keeps one verdict per round; recording again replaces it', async () => {
    const verdicts = new TypeOrmVerdictRepository(db.dataSource);
    await verdicts.save(studyId, 1, failing);
    await verdicts.save(studyId, 1, { ...failing, pass: true, reasons: [] });
    await verdicts.save(studyId, 2, failing);
    const all = await verdicts.list(studyId);
    expect(all.map((v) => [v.round, v.verdict.pass])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect((await verdicts.find(studyId, 2))?.verdict.reasons[0]?.message).toBe(
      'pooled AUC 0.6 is below 0.7',
    );
    expect(await verdicts.find(studyId, 3)).toBeNull();
  });

  it('stores the release record as signed and numbers versions from 1', async () => {
    const releases = new TypeOrmReleaseRepository(db.dataSource);
    expect(await releases.nextVersion()).toBe(1);
    await releases.add(record(1, studyId, 1));
    expect(await releases.find(1)).toEqual(record(1, studyId, 1));
    expect(await releases.findByRound(studyId, 1)).toEqual(record(1, studyId, 1));
    expect(await releases.nextVersion()).toBe(2);
    await expect(releases.add(record(2, studyId, 1))).rejects.toThrow(); // one release per round
    await releases.add(record(2, studyId, 2));
    expect((await releases.list(studyId)).map((r) => r.version)).toEqual([2, 1]);
  });

  it('releases are immutable: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const ds = db.dataSource;
    await expect(ds.query(`UPDATE releases SET weights_sha256 = 'cd'`)).rejects.toThrow(/immutable/);
    await expect(ds.query(`DELETE FROM releases`)).rejects.toThrow(/immutable/);
    await expect(ds.query(`TRUNCATE releases`)).rejects.toThrow(/immutable/);
    expect(await new TypeOrmReleaseRepository(ds).find(1)).toEqual(record(1, studyId, 1));
  });
});
