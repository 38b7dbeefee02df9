/**
 * The blob store's retention rule (blobs/blob-retention.ts) against the real schema, on PGlite and
 * on PostgreSQL when DATABASE_URL is set: which blobs a sweep removes and which it keeps, across
 * studies, and what a crash in the middle of a sweep leaves.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobRetention } from '../../apps/coordinator/src/blobs/blob-retention';
import { FileBlobStore } from '../../apps/coordinator/src/blobs/blob-store';
import { TypeOrmBlobReferences } from '../../apps/coordinator/src/persistence/typeorm-blob-references';
import { TypeOrmGlobalModelRepository } from '../../apps/coordinator/src/persistence/typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from '../../apps/coordinator/src/persistence/typeorm-participant.repository';
import { TypeOrmRoundRepository } from '../../apps/coordinator/src/persistence/typeorm-round.repository';
import { TypeOrmSiteRepository } from '../../apps/coordinator/src/persistence/typeorm-site.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import type { RoundState } from '../../apps/coordinator/src/rounds/round-machine';
import { exampleStudySpec } from './coordinator-fixtures';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

const secret = Object.freeze({ salt: 'c2FsdA==', hash: 'aGFzaA==' });
const quiet = { info: () => undefined, warn: () => undefined };

/** A store that fails after removing `failAfter` blobs: a coordinator killed mid-sweep. */
class CrashingBlobStore extends FileBlobStore {
  private removals = 0;
  constructor(
    root: string,
    private readonly failAfter: number,
  ) {
    super(root);
  }
  protected override removeFile(file: string): void {
    if (this.removals++ === this.failAfter) throw new Error('killed mid-sweep');
    super.removeFile(file);
  }
}

describe.each(databaseTargets())('blob retention on %s', (target) => {
  let db: TestDatabase;
  let root: string;
  beforeAll(async () => {
    db = await openTestDatabase(target, 'retention');
  });
  afterAll(async () => {
    await db?.close();
  });

  /** A study with one round in `state` whose two sites uploaded `updates`. */
  async function studyWithRound(state: RoundState, updates: readonly string[], attempt = 1) {
    const sites = new TypeOrmSiteRepository(db.dataSource);
    const ids: string[] = [];
    for (const _ of updates) {
      const id = crypto.randomUUID();
      ids.push((await sites.create(`site-${id.slice(0, 8)}`, id, secret, null)).id);
    }
    const study = await new TypeOrmStudyRepository(db.dataSource).create(
      exampleStudySpec(ids, { min_sites: 1 }),
    );
    const rounds = new TypeOrmRoundRepository(db.dataSource);
    const round = await rounds.create({
      studyId: study.id,
      number: 1,
      state: 'training',
      attempt: 1,
      deadline: null,
      startedAt: new Date(),
    });
    const participants = new TypeOrmParticipantRepository(db.dataSource);
    await participants.assign(study.id, 1, ids);
    for (const [i, sha256] of updates.entries())
      await participants.recordUpload(study.id, 1, ids[i]!, { nTrain: 10, sha256, bytes: 3 });
    const setState = (s: RoundState, a = attempt) => rounds.update(round.id, { state: s, attempt: a });
    await setState(state);
    return { study, setState, participants };
  }

  async function putAll(store: FileBlobStore, ...texts: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const t of texts) out.push((await store.put(Buffer.from(t))).sha256);
    return out;
  }

  /** The sha256s the store folder holds. */
  function onDisk(): string[] {
    return fs
      .readdirSync(root)
      .filter((d) => /^[0-9a-f]{2}$/.test(d))
      .flatMap((d) => fs.readdirSync(path.join(root, d)))
      .filter((f) => /^[0-9a-f]{64}$/.test(f))
      .sort();
  }

  it("removes a finished round's updates, keeps an open round's, global models, server states and releases", async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-retention-'));
    const store = new FileBlobStore(root);
    const [u1, u2, open1, model, state, released] = await putAll(
      store,
      'update 1',
      'update 2',
      'open update',
      'global v1',
      'fedadam state v1',
      'released weights',
    );
    const done = await studyWithRound('completed', [u1!, u2!]);
    const open = await studyWithRound('training', [open1!]);
    const models = new TypeOrmGlobalModelRepository(db.dataSource);
    await models.add({
      studyId: done.study.id,
      version: 1,
      sha256: model!,
      bytes: 9,
      roundNumber: 1,
      serverStateSha256: state!,
    });
    await db.dataSource.query(
      `INSERT INTO releases (version, study_id, round_number, weights_sha256, record) VALUES ($1, $2, 1, $3, '{}')`,
      [1, open.study.id, released],
    );
    const retention = new BlobRetention(store, new TypeOrmBlobReferences(db.dataSource), quiet, 0);
    // The first sweep of this process keeps what it wrote since: their rows might not be committed yet.
    await expect(retention.sweep()).resolves.toEqual([]);
    expect((await retention.sweep()).sort()).toEqual([u1!, u2!].sort());
    expect(onDisk()).toEqual([open1!, model!, state!, released!].sort());
  });

  it('keeps a blob two studies share while either still references it (names are content hashes)', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-retention-'));
    const [shared] = await putAll(new FileBlobStore(root), 'the same update bytes');
    await studyWithRound('completed', [shared!]);
    const other = await studyWithRound('aggregating', [shared!]);
    // A fresh process (nothing written by it): only references protect a blob.
    const retention = () =>
      new BlobRetention(new FileBlobStore(root), new TypeOrmBlobReferences(db.dataSource), quiet, 0);
    await expect(retention().sweep()).resolves.toEqual([]);
    expect(onDisk()).toContain(shared!);
    await other.setState('completed');
    await expect(retention().sweep()).resolves.toContain(shared!);
    expect(onDisk()).not.toContain(shared!);
  });

  it('a retried round keeps its uploads; a reopened one (rows dropped, sites retrain) loses them', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-retention-'));
    const [kept, dropped] = await putAll(new FileBlobStore(root), 'retried attempt', 'reopened attempt');
    const retried = await studyWithRound('waiting', [kept!], 2);
    const reopened = await studyWithRound('waiting', [dropped!], 2);
    await reopened.participants.reopen(reopened.study.id, 1);
    const retention = new BlobRetention(
      new FileBlobStore(root),
      new TypeOrmBlobReferences(db.dataSource),
      quiet,
      0,
    );
    await expect(retention.sweep()).resolves.toEqual([dropped!]);
    expect(onDisk()).toContain(kept!);
    expect((await retried.participants.list(retried.study.id, 1))[0]?.updateSha256).toBe(kept);
  });

  it('a crash mid-sweep leaves only unreferenced files, which the next boot removes with the temporaries', async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-retention-'));
    const garbage = await putAll(new FileBlobStore(root), 'old 1', 'old 2', 'old 3', 'old 4');
    const [live] = await putAll(new FileBlobStore(root), 'live update');
    await studyWithRound('completed', garbage);
    await studyWithRound('training', [live!]);
    const incoming = path.join(root, '.incoming.0123456789ab.tmp');
    fs.writeFileSync(incoming, 'a model half written');
    const fan = path.join(root, live!.slice(0, 2), `.${live!}.ba9876543210.tmp`);
    fs.writeFileSync(fan, 'an update half renamed');
    const references = new TypeOrmBlobReferences(db.dataSource);
    const crashing = new BlobRetention(new CrashingBlobStore(root, 2), references, quiet, 0);
    await expect(crashing.sweep()).rejects.toThrow('killed mid-sweep');
    const left = onDisk();
    expect(left).toContain(live!);
    expect(left.filter((s) => garbage.includes(s))).toHaveLength(2);
    const restarted = new BlobRetention(new FileBlobStore(root), references, quiet);
    const swept = await restarted.atBoot();
    expect(swept.temporaries.sort()).toEqual([incoming, fan].sort());
    expect(swept.blobs).toHaveLength(2);
    expect(onDisk()).toEqual([live!]);
  });
});
