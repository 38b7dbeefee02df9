import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  TypeOrmReleaseRepository,
  TypeOrmVerdictRepository,
} from '../../apps/coordinator/src/persistence/typeorm-release.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import type { ReleaseVerdict } from '../../apps/coordinator/src/evaluation/release-policy';
import type { ReleaseRecord } from '../../apps/coordinator/src/releases/release-record';
import { buildReleaseRecord, type ReleaseInput } from '../../apps/coordinator/src/releases/release-record';
import { ReleaseSigner } from '../../apps/coordinator/src/releases/signing';
import { generateKeyPairSync } from 'node:crypto';
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

const signer = ReleaseSigner.fromPrivateKeyPem(
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
);

/** A release made after manifests (issue 14), linked to `previous`. */
function candidate(version: number, studyId: string, round: number, previous: string | null): ReleaseInput {
  const { signature: _s, ed25519_public_key: _k, override_reason, ...rest } = record(version, studyId, round);
  return { ...rest, override_reason: override_reason!, previous_manifest_sha256: previous };
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

  it('signed releases chain per study: the newest manifest is the next link, and the chain stays linear', async () => {
    const releases = new TypeOrmReleaseRepository(db.dataSource);
    const other = (await new TypeOrmStudyRepository(db.dataSource).create(exampleStudySpec(['s1']))).id;
    // Releases 1 and 2 (above) predate manifests: outside the chain.
    expect(await releases.lastManifestSha256(studyId)).toBeNull();
    const first = buildReleaseRecord(candidate(3, studyId, 3, null), signer);
    await releases.add(first);
    expect(await releases.lastManifestSha256(studyId)).toBe(first.manifest!.sha256);
    expect(await releases.lastManifestSha256(other)).toBeNull();
    const second = buildReleaseRecord(candidate(4, studyId, 4, first.manifest!.sha256), signer);
    await releases.add(second);
    expect(await releases.lastManifestSha256(studyId)).toBe(second.manifest!.sha256);
    expect(await releases.find(4)).toEqual(second);
    // A fork — another release naming the same predecessor, or a second "first" — is refused.
    await expect(
      releases.add(buildReleaseRecord(candidate(5, studyId, 5, first.manifest!.sha256), signer)),
    ).rejects.toThrow(/releases_manifest_chain/);
    await expect(releases.add(buildReleaseRecord(candidate(5, studyId, 5, null), signer))).rejects.toThrow(
      /releases_manifest_chain/,
    );
    // Another study's chain starts on its own.
    await releases.add(buildReleaseRecord(candidate(5, other, 1, null), signer));
    expect((await releases.list(studyId)).map((r) => r.version)).toEqual([4, 3, 2, 1]);
  });

  it('releases are immutable: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const ds = db.dataSource;
    await expect(ds.query(`UPDATE releases SET weights_sha256 = 'cd'`)).rejects.toThrow(/immutable/);
    await expect(ds.query(`DELETE FROM releases`)).rejects.toThrow(/immutable/);
    await expect(ds.query(`TRUNCATE releases`)).rejects.toThrow(/immutable/);
    expect(await new TypeOrmReleaseRepository(ds).find(1)).toEqual(record(1, studyId, 1));
  });
});
