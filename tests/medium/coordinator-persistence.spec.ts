import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TypeOrmAuditLog } from '../../apps/coordinator/src/persistence/typeorm-audit-log';
import { TypeOrmGlobalModelRepository } from '../../apps/coordinator/src/persistence/typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from '../../apps/coordinator/src/persistence/typeorm-participant.repository';
import { TypeOrmRoundRepository } from '../../apps/coordinator/src/persistence/typeorm-round.repository';
import { TypeOrmSiteRepository } from '../../apps/coordinator/src/persistence/typeorm-site.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import { exampleStudySpec } from './coordinator-fixtures';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

const secret = Object.freeze({ salt: 'c2FsdA==', hash: 'aGFzaA==' });

const spec = (sites: string[]) => exampleStudySpec(sites, { min_sites: 1 });

describe.each(databaseTargets())('coordinator persistence on %s', (target) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(target, 'persistence');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('migrates an empty database to every table, and re-running migrations is a no-op', async () => {
    const tables: { table_name: string }[] = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'admin_tokens',
      'audit_log',
      'enrolment_tokens',
      'global_models',
      'migrations',
      'release_verdicts',
      'releases',
      'round_participants',
      'rounds',
      'sites',
      'studies',
    ]);
    await expect(db.dataSource.runMigrations()).resolves.toEqual([]);
  });

  it('creates a site with its token atomically, lists, revokes and hides revoked tokens', async () => {
    const sites = new TypeOrmSiteRepository(db.dataSource);
    const tokenId = '11111111-2222-4333-8444-555555555555';
    const site = await sites.create('Hospital A', tokenId, secret, null);
    expect(site).toMatchObject({
      name: 'Hospital A',
      status: 'active',
      revokedAt: null,
      approvedCases: null,
    });
    await expect(sites.findToken(tokenId)).resolves.toEqual({ siteId: site.id, secret });
    expect((await sites.list()).map((s) => s.id)).toContain(site.id);
    const at = new Date('2026-01-02T03:04:05Z');
    const revoked = await sites.revoke(site.id, at);
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: at });
    await expect(sites.findToken(tokenId)).resolves.toBeNull();
    // A second revocation keeps the first timestamp.
    await expect(sites.revoke(site.id, new Date())).resolves.toMatchObject({ revokedAt: at });
    await expect(sites.revoke('99999999-2222-4333-8444-555555555555', at)).resolves.toBeNull();
  });

  it('keeps approved and claimed case counts apart', async () => {
    const sites = new TypeOrmSiteRepository(db.dataSource);
    const approved = { nTrain: 260, nTest: 64 };
    const site = await sites.create(
      'Hospital Counts',
      '41111111-2222-4333-8444-555555555555',
      secret,
      approved,
    );
    expect(site).toMatchObject({ approvedCases: approved, claimedCases: null });
    await sites.recordClaimedCases(site.id, { nTrain: 16_777_216, nTest: 64 });
    await expect(sites.findById(site.id)).resolves.toMatchObject({
      approvedCases: approved,
      claimedCases: { nTrain: 16_777_216, nTest: 64 },
    });
    await expect(sites.approveCases(site.id, { nTrain: 300, nTest: 70 })).resolves.toMatchObject({
      approvedCases: { nTrain: 300, nTest: 70 },
      claimedCases: { nTrain: 16_777_216, nTest: 64 },
    });
    await expect(sites.approveCases('99999999-2222-4333-8444-555555555555', approved)).resolves.toBeNull();
    // The schema refuses half a pair and negative counts.
    await expect(
      db.dataSource.query('UPDATE sites SET approved_n_test = NULL WHERE id = $1', [site.id]),
    ).rejects.toThrow(/sites_approved_pair/);
    await expect(
      db.dataSource.query('UPDATE sites SET claimed_n_train = -1 WHERE id = $1', [site.id]),
    ).rejects.toThrow(/check constraint/);
  });

  it('keeps one participant row per (study, round, site): repeated uploads update it', async () => {
    const sites = new TypeOrmSiteRepository(db.dataSource);
    const a = await sites.create('A', '21111111-2222-4333-8444-555555555555', secret, null);
    const b = await sites.create('B', '31111111-2222-4333-8444-555555555555', secret, null);
    const study = await new TypeOrmStudyRepository(db.dataSource).create(spec([a.id, b.id]));
    expect(study.spec).toEqual(spec([a.id, b.id]));
    const rounds = new TypeOrmRoundRepository(db.dataSource);
    await rounds.create({
      studyId: study.id,
      number: 1,
      state: 'training',
      attempt: 1,
      deadline: null,
      startedAt: new Date(),
    });
    const participants = new TypeOrmParticipantRepository(db.dataSource);
    await participants.assign(study.id, 1, [a.id, b.id]);
    await participants.assign(study.id, 1, [a.id]); // again: no duplicate, no error
    const first = { nTrain: 120, sha256: 'a'.repeat(64), bytes: 4096 };
    const again = { nTrain: 121, sha256: 'b'.repeat(64), bytes: 4100 };
    await participants.recordUpload(study.id, 1, a.id, first);
    await participants.recordUpload(study.id, 1, a.id, first);
    const latest = await participants.recordUpload(study.id, 1, a.id, again);
    expect(latest).toEqual({
      studyId: study.id,
      roundNumber: 1,
      siteId: a.id,
      state: 'uploaded',
      reason: null,
      nTrain: 121,
      updateSha256: 'b'.repeat(64),
      updateBytes: 4100,
      screening: null,
    });
    await expect(participants.markStragglers(study.id, 1)).resolves.toEqual([b.id]);
    const rows = await participants.list(study.id, 1);
    expect(rows.map((r) => [r.siteId, r.state]).sort()).toEqual(
      [
        [a.id, 'uploaded'],
        [b.id, 'straggler'],
      ].sort(),
    );
    const counts = await rounds.countByState();
    expect(counts.get('training')).toBeGreaterThanOrEqual(1);

    // Screening verdicts round-trip through jsonb; an ∞ would not (JSON has none): the domain holds null.
    const clipped = {
      verdict: 'clipped' as const,
      reason: "norm 9.1 is 3.4× the round's median",
      norm: 9.1,
      normZ: 12.5,
      cosine: null,
      cosineZ: null,
      clipBound: 8.03,
      scale: 0.882,
      weight: 1,
      worstTensor: { name: 'conv1/kernel', norm: 7.5, ratioToMedian: 4.2 },
      trainedNorm: 2.9,
      trainedCosine: 0.04,
    };
    await participants.recordScreening(study.id, 1, new Map([[a.id, clipped]]));
    const screened = await participants.list(study.id, 1);
    expect(screened.find((r) => r.siteId === a.id)?.screening).toEqual(clipped);
    expect(screened.find((r) => r.siteId === b.id)?.screening).toBeNull();
    await participants.reopen(study.id, 1);
    await expect(participants.list(study.id, 1)).resolves.toEqual([]);
  });

  it('stores global model versions once per (study, version)', async () => {
    const study = await new TypeOrmStudyRepository(db.dataSource).create(spec([]));
    const models = new TypeOrmGlobalModelRepository(db.dataSource);
    const v0 = await models.add({
      studyId: study.id,
      version: 0,
      sha256: 'c'.repeat(64),
      bytes: 5_000_000_000,
      roundNumber: null,
    });
    expect(v0.bytes).toBe(5_000_000_000); // beyond int32: stored as bigint
    await expect(models.find(study.id, 0)).resolves.toEqual(v0);
    await expect(models.add({ ...v0 })).rejects.toThrow();
  });

  it('the audit log is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const audit = new TypeOrmAuditLog(db.dataSource);
    await audit.append({
      actor: 'admin',
      action: 'site.enrolled',
      subjectType: 'site',
      subjectId: 'x',
      details: { name: 'A' },
    });
    await expect(db.dataSource.query(`UPDATE audit_log SET actor = 'mallory'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(db.dataSource.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    const entries = await audit.list('site', 'x');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'admin', action: 'site.enrolled', details: { name: 'A' } });
  });
});
