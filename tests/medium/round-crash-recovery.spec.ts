/**
 * A coordinator killed at each write boundary of a round transition recovers (issue 14), on PGlite
 * and PostgreSQL. Every repository and audit write of the transition is counted; the run under test
 * dies just before write k (that write and everything after it throw, as in a dead process: an open
 * transaction rolls back). A new coordinator on the same database then runs `RoundRecovery` and its
 * sites reconnect. After each k: the study's current round exists and is not stuck, earlier rounds
 * are completed, every round's and the study's audit trail replays to its stored state (each state
 * change has its audit row, and no row without its change), and the audit chain verifies.
 *
 * Before transactions (main at 938e22a, this spec adapted to its constructors) 12 of the 25 cases
 * failed: evaluationDone killed before write 4 left `currentRound = 2` with no round 2, which recovery
 * skipped for ever; a kill before an audit append left a state change with no audit row (startStudy
 * 2–7 and 9, aggregationDone 4, evaluationDone 2, 5 and 7).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { AggregationRunner } from '../../apps/coordinator/src/aggregation/aggregation-runner';
import { RoundAggregator } from '../../apps/coordinator/src/aggregation/round-aggregator';
import { verifyAuditChain } from '../../apps/coordinator/src/audit/verify-audit-chain';
import { BlobCache } from '../../apps/coordinator/src/blobs/blob-cache';
import { FileBlobStore } from '../../apps/coordinator/src/blobs/blob-store';
import type { AuditRecord, Participant, Round } from '../../apps/coordinator/src/domain/records';
import { Transactions, type UnitOfWork } from '../../apps/coordinator/src/domain/transactions';
import { GlobalModelsService } from '../../apps/coordinator/src/models/global-models.service';
import { InitialModelFactory } from '../../apps/coordinator/src/models/initial-model.factory';
import {
  TypeOrmAuditChainReader,
  TypeOrmAuditLog,
} from '../../apps/coordinator/src/persistence/typeorm-audit-log';
import { TypeOrmGlobalModelRepository } from '../../apps/coordinator/src/persistence/typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from '../../apps/coordinator/src/persistence/typeorm-participant.repository';
import { TypeOrmRoundRepository } from '../../apps/coordinator/src/persistence/typeorm-round.repository';
import { TypeOrmSiteRepository } from '../../apps/coordinator/src/persistence/typeorm-site.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import { TypeOrmTransactions } from '../../apps/coordinator/src/persistence/typeorm-transactions';
import { LocalRoundChanges } from '../../apps/coordinator/src/rounds/round-changes';
import { RoundRecovery } from '../../apps/coordinator/src/rounds/round-recovery';
import { RoundTimers } from '../../apps/coordinator/src/rounds/round-timers';
import { RoundsService } from '../../apps/coordinator/src/rounds/rounds.service';
import { SitePresence } from '../../apps/coordinator/src/rounds/site-presence';
import { StudiesService } from '../../apps/coordinator/src/studies/studies.service';
import { SitesService } from '../../apps/coordinator/src/sites/sites.service';
import { NoLiveSiteSessions } from '../../apps/coordinator/src/sites/live-site-sessions';
import { CoordinatorMetrics } from '../../apps/coordinator/src/telemetry/coordinator-metrics';
import { HELLO } from '../e2e/support/site-client';
import { exampleStudySpec } from './coordinator-fixtures';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

/** Methods of the repository ports and the audit log that write. */
const WRITES = new Set([
  'create',
  'update',
  'add',
  'append',
  'assign',
  'recordUpload',
  'markStragglers',
  'reopen',
  'recordScreening',
  'revoke',
  'approveCases',
  'recordClaimedCases',
  'save',
]);

/** The writes of the steps transitions are made of, in the order RoundsService makes them. */
const COMMAND = ['studies.update', 'audit.append'];
const REGISTER_MODEL = ['models.add', 'audit.append'];
const OPEN_ROUND = ['studies.update', 'rounds.create', 'audit.append'];
const TRANSITION = ['rounds.update', 'audit.append'];

class Killed extends Error {}

/** Counts writes; from write `at` on, the process is dead: every database call throws. */
class Kill {
  readonly writes: string[] = [];
  private dead = false;
  constructor(private readonly at = Number.POSITIVE_INFINITY) {}

  check(port: string, method: string): void {
    if (this.dead) throw new Killed(`dead: ${port}.${method}`);
    if (!WRITES.has(method)) return;
    this.writes.push(`${port}.${method}`);
    if (this.writes.length >= this.at) {
      this.dead = true;
      throw new Killed(`killed before write ${this.at} (${port}.${method})`);
    }
  }

  /** The port with every method call checked first. */
  wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (t, p, receiver) => {
        const value: unknown = Reflect.get(t, p, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          this.check(port, String(p));
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  }
}

/** The transaction's repositories, killed like the rest (a throw inside rolls the transaction back). */
class KilledTransactions extends Transactions {
  constructor(
    private readonly inner: Transactions,
    private readonly kill: Kill,
  ) {
    super();
  }
  run<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    this.kill.check('transactions', 'run');
    return this.inner.run((tx) =>
      work({
        studies: this.kill.wrap('studies', tx.studies),
        rounds: this.kill.wrap('rounds', tx.rounds),
        participants: this.kill.wrap('participants', tx.participants),
        sites: this.kill.wrap('sites', tx.sites),
        models: this.kill.wrap('models', tx.models),
        releases: this.kill.wrap('releases', tx.releases),
        verdicts: this.kill.wrap('verdicts', tx.verdicts),
        audit: this.kill.wrap('audit', tx.audit),
      }),
    );
  }
}

class FixedInitialModel extends InitialModelFactory {
  async create(): Promise<Uint8Array> {
    return new TextEncoder().encode('initial weights');
  }
}

/** Records the aggregations recovery restarts instead of running them (the blobs here are not models). */
class RecordingRunner extends AggregationRunner {
  readonly started: Round[] = [];
  override start(round: Round, uploads: readonly Participant[]): void {
    void uploads;
    this.started.push(round);
  }
}

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** One coordinator process over the database: its services, with its writes counted by `kill`. */
function coordinator(ds: DataSource, blobs: FileBlobStore, kill: Kill = new Kill(), present: string[] = []) {
  const studies = kill.wrap('studies', new TypeOrmStudyRepository(ds));
  const rounds = kill.wrap('rounds', new TypeOrmRoundRepository(ds));
  const participants = kill.wrap('participants', new TypeOrmParticipantRepository(ds));
  const models = kill.wrap('models', new TypeOrmGlobalModelRepository(ds));
  const transactions = new KilledTransactions(new TypeOrmTransactions(ds), kill);
  const presence = new SitePresence();
  for (const siteId of present) presence.connect({ siteId, send: () => undefined, hello: { ...HELLO } });
  const service = new RoundsService(
    studies,
    rounds,
    participants,
    new GlobalModelsService(models, blobs, new FixedInitialModel(), studies),
    transactions,
    new LocalRoundChanges(),
    presence,
    new CoordinatorMetrics(rounds),
    silent,
  );
  const aggregator = new RoundAggregator(blobs, new BlobCache(blobs), models);
  const runner = new RecordingRunner(aggregator, service, silent);
  const timers = new RoundTimers(service, silent);
  const recovery = new RoundRecovery(
    studies,
    rounds,
    participants,
    service,
    timers,
    aggregator,
    runner,
    silent,
  );
  /** A site connects and says hello, as SiteArrivals does. */
  const join = (studyId: string, siteId: string) => {
    presence.connect({ siteId, send: () => undefined, hello: { ...HELLO } });
    return service.siteJoined(studyId, siteId);
  };
  return { service, recovery, runner, timers, presence, join, studies, rounds, models };
}

type Coordinator = ReturnType<typeof coordinator>;

interface Scenario {
  /** Brings a new study to the state just before the transition, with a coordinator that does not die. */
  setup(c: Coordinator, studyId: string): Promise<void>;
  /** The transition, on the coordinator that dies (its sites are connected). */
  act(c: Coordinator, studyId: string): Promise<unknown>;
  /** Its writes in order: the boundaries it is killed at. */
  writes: string[];
}

describe.each(databaseTargets())('round transitions killed at each write boundary on %s', (target) => {
  let db: TestDatabase;
  let blobs: FileBlobStore;
  let siteIds: string[];
  let aggregate: { sha256: string; bytes: number };
  let upload: (site: string) => { nTrain: number; sha256: string; bytes: number };

  beforeAll(async () => {
    db = await openTestDatabase(target, 'crash');
    blobs = new FileBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-crash-blobs-')));
    const sites = new SitesService(
      new TypeOrmSiteRepository(db.dataSource),
      new TypeOrmTransactions(db.dataSource),
      new NoLiveSiteSessions(),
    );
    siteIds = [];
    for (const name of ['A', 'B']) siteIds.push((await sites.enrol(`Hospital ${name}`, 'admin')).site.id);
    aggregate = await blobs.put(new TextEncoder().encode('aggregate of round 1'));
    upload = (site) => {
      const bytes = new TextEncoder().encode(`update of ${site}`);
      return { nTrain: 10, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    };
  });
  afterAll(async () => {
    await db?.close();
  });

  async function newStudy(): Promise<string> {
    const studies = new StudiesService(
      new TypeOrmStudyRepository(db.dataSource),
      new TypeOrmSiteRepository(db.dataSource),
      new TypeOrmAuditLog(db.dataSource),
      new TypeOrmTransactions(db.dataSource),
    );
    return (await studies.create(exampleStudySpec(siteIds, { rounds: 2 }), 'admin')).id;
  }

  const joinAll = async (c: Coordinator, studyId: string) => {
    for (const s of siteIds) await c.join(studyId, s);
  };
  const toAggregating = async (c: Coordinator, studyId: string) => {
    await joinAll(c, studyId);
    await c.service.startStudy(studyId, 'admin');
    for (const s of siteIds) await c.service.updateAccepted(studyId, 1, s, upload(s));
  };

  const scenarios: Record<string, Scenario> = {
    // start, version 0 and round 1 in one transaction; the quorum of present sites in the next.
    startStudy: {
      setup: async () => undefined,
      act: (c, id) => c.service.startStudy(id, 'admin'),
      writes: [...COMMAND, ...REGISTER_MODEL, ...OPEN_ROUND, ...TRANSITION, 'participants.assign'],
    },
    // screening verdicts (none here), version 1 and the transition to evaluating, in one transaction.
    aggregationDone: {
      setup: toAggregating,
      act: (c, id) => c.service.aggregationDone(id, 1, aggregate),
      writes: [...REGISTER_MODEL, ...TRANSITION],
    },
    // round 1 completes; then round 2 is opened (currentRound and the round together); then its quorum.
    evaluationDone: {
      setup: async (c, id) => {
        await toAggregating(c, id);
        await c.service.aggregationDone(id, 1, aggregate);
      },
      act: (c, id) => c.service.evaluationDone(id, 1),
      writes: [...TRANSITION, ...OPEN_ROUND, ...TRANSITION, 'participants.assign'],
    },
  };

  /** The audit rows of one subject, in order. */
  async function trail(subjectType: 'round' | 'study', id: string): Promise<AuditRecord[]> {
    return new TypeOrmAuditLog(db.dataSource).list(subjectType, id);
  }

  /** The state recovery left, checked against what a consistent coordinator may show. */
  async function expectConsistent(c: Coordinator, studyId: string): Promise<void> {
    const study = await c.studies.findById(studyId);
    const all = await c.rounds.list(studyId);
    if (study?.status === 'draft') {
      // The start rolled back whole: nothing of it is left, not even its audit row.
      expect(all).toEqual([]);
      expect(await c.models.find(studyId, 0)).toBeNull();
      expect((await trail('study', studyId)).map((e) => e.action)).toEqual(['study.created']);
      return;
    }
    expect(study?.status).toBe('running');
    const current = all.find((r) => r.number === study?.currentRound);
    expect(current).toBeDefined();
    for (const r of all) if (r.number < (study?.currentRound ?? 0)) expect(r.state).toBe('completed');
    expect(await c.models.find(studyId, 0)).not.toBeNull();
    // Every round's audit trail replays to its stored state, and it was opened once.
    for (const r of all) {
      const rows = await trail('round', r.id);
      expect(rows.filter((e) => e.action === 'round.opened')).toHaveLength(1);
      let state = 'waiting';
      for (const e of rows.filter((x) => x.action === 'round.transition')) {
        expect(e.details.from).toBe(state);
        state = String(e.details.to);
      }
      expect(state).toBe(r.state);
    }
    const studyRows = (await trail('study', studyId)).filter(
      (e) => e.action.startsWith('study.') && e.details.to,
    );
    expect(studyRows.at(-1)?.details.to).toBe(study?.status);
    expect(await verifyAuditChain(new TypeOrmAuditChainReader(db.dataSource))).toMatchObject({ ok: true });
  }

  /** After recovery the current round moves on once its sites are back (or its aggregation re-runs). */
  async function expectProgress(c: Coordinator, studyId: string): Promise<void> {
    if ((await c.studies.findById(studyId))?.status === 'draft') await c.service.startStudy(studyId, 'admin');
    const study = await c.studies.findById(studyId);
    const round = (await c.rounds.find(studyId, study?.currentRound ?? 0)) as Round;
    if (round.state === 'aggregating') {
      expect(c.runner.started.map((r) => r.id)).toEqual([round.id]);
      await c.service.aggregationDone(studyId, round.number, aggregate);
    } else {
      await joinAll(c, studyId);
    }
    const after = (await c.rounds.find(studyId, round.number)) as Round;
    expect(['training', 'evaluating']).toContain(after.state);
  }

  it('repairs the stuck study the code before transactions left: currentRound set, its round never created', async () => {
    const id = await newStudy();
    const c = coordinator(db.dataSource, blobs);
    await toAggregating(c, id);
    await c.service.aggregationDone(id, 1, aggregate);
    // What main's advance did before a crash: round 1 completed, currentRound = 2, no round 2 (and no audit).
    await new TypeOrmTransactions(db.dataSource).run(async (tx) => {
      const r1 = (await tx.rounds.find(id, 1)) as Round;
      await tx.rounds.update(r1.id, { state: 'completed', endedAt: new Date() });
      await tx.audit.append({
        actor: 'system',
        action: 'round.transition',
        subjectType: 'round',
        subjectId: r1.id,
        details: { studyId: id, number: 1, from: 'evaluating', to: 'completed', event: 'evaluationDone' },
      });
      await tx.studies.update(id, { currentRound: 2 });
    });
    const restarted = coordinator(db.dataSource, blobs);
    try {
      await restarted.recovery.recover();
      expect(await restarted.rounds.find(id, 2)).toMatchObject({ state: 'waiting', attempt: 1 });
      await expectConsistent(restarted, id);
      await expectProgress(restarted, id);
    } finally {
      restarted.timers.stop();
    }
  });

  describe.each(Object.keys(scenarios))('%s', (name) => {
    const scenario = scenarios[name] as Scenario;

    it('writes what the table lists, and recovers from a clean run', async () => {
      const id = await newStudy();
      await scenario.setup(coordinator(db.dataSource, blobs), id);
      const kill = new Kill();
      await scenario.act(coordinator(db.dataSource, blobs, kill, siteIds), id);
      expect(kill.writes).toEqual(scenario.writes);
      const restarted = coordinator(db.dataSource, blobs);
      await restarted.recovery.recover();
      await expectConsistent(restarted, id);
      restarted.timers.stop();
    });

    it.each(scenario.writes.map((w, i) => [i + 1, w] as const))(
      'killed before write %i (%s): recovers to a consistent round that moves on',
      async (k) => {
        const id = await newStudy();
        await scenario.setup(coordinator(db.dataSource, blobs), id);
        await expect(
          scenario.act(coordinator(db.dataSource, blobs, new Kill(k), siteIds), id),
        ).rejects.toThrow(Killed);
        const restarted = coordinator(db.dataSource, blobs);
        try {
          await restarted.recovery.recover();
          await expectConsistent(restarted, id);
          await expectProgress(restarted, id);
          await expectConsistent(restarted, id);
        } finally {
          restarted.timers.stop();
        }
      },
    );
  });
});
