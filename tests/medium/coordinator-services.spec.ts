import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdminAuthService } from '../../apps/coordinator/src/auth/admin-auth.service';
import { SiteAuthService } from '../../apps/coordinator/src/auth/site-auth.service';
import { SiteStanding, STANDING_RECHECK_MS } from '../../apps/coordinator/src/auth/site-standing';
import { FileBlobStore } from '../../apps/coordinator/src/blobs/blob-store';
import type { StudySpec } from '../../apps/coordinator/src/domain/study-spec';
import { CoordinatorMetrics } from '../../apps/coordinator/src/telemetry/coordinator-metrics';
import { LocalRoundChanges, type RoundChange } from '../../apps/coordinator/src/rounds/round-changes';
import { SitePresence } from '../../apps/coordinator/src/rounds/site-presence';
import { GlobalModelsService } from '../../apps/coordinator/src/models/global-models.service';
import { InitialModelFactory } from '../../apps/coordinator/src/models/initial-model.factory';
import { TypeOrmAdminTokenRepository } from '../../apps/coordinator/src/persistence/typeorm-admin-token.repository';
import { TypeOrmAuditLog } from '../../apps/coordinator/src/persistence/typeorm-audit-log';
import { TypeOrmTransactions } from '../../apps/coordinator/src/persistence/typeorm-transactions';
import { TypeOrmGlobalModelRepository } from '../../apps/coordinator/src/persistence/typeorm-global-model.repository';
import { TypeOrmParticipantRepository } from '../../apps/coordinator/src/persistence/typeorm-participant.repository';
import { TypeOrmRoundRepository } from '../../apps/coordinator/src/persistence/typeorm-round.repository';
import { TypeOrmSiteRepository } from '../../apps/coordinator/src/persistence/typeorm-site.repository';
import { TypeOrmStudyRepository } from '../../apps/coordinator/src/persistence/typeorm-study.repository';
import { MAX_ROUND_ATTEMPTS, RoundsService } from '../../apps/coordinator/src/rounds/rounds.service';
import { LiveSiteSessions } from '../../apps/coordinator/src/sites/live-site-sessions';
import { SitesService } from '../../apps/coordinator/src/sites/sites.service';
import { StudiesService } from '../../apps/coordinator/src/studies/studies.service';
import { HELLO } from '../e2e/support/site-client';
import { dpSgdEpsilon } from '@fedaln/privacy';
import { exampleStudySpec } from './coordinator-fixtures';
import { databaseTargets, openTestDatabase, type TestDatabase } from './coordinator-database';

/** Version 0 for tests: fixed bytes instead of a DenseNet (the real adapter needs tfjs). */
class FixedInitialModel extends InitialModelFactory {
  static readonly bytes = new TextEncoder().encode('initial weights');
  async create(): Promise<Uint8Array> {
    return FixedInitialModel.bytes;
  }
}

/** Records every published round change, with its outside effects, in order. */
class RecordingChanges extends LocalRoundChanges {
  readonly calls: string[] = [];
  override async publish(c: RoundChange): Promise<void> {
    const effects = c.effects
      .filter((e) => e.type !== 'persistRound')
      .map((e) => {
        if (e.type === 'sendTrainingTasks') return `train ${e.siteIds.length} sites`;
        if (e.type === 'aggregate') return `aggregate ${c.uploads.length} uploads`;
        if (e.type === 'sendEvaluationTasks') return `evaluate v${e.modelVersion}`;
        if (e.type === 'scheduleDeadline') return 'deadline';
        return e.type;
      });
    this.calls.push(`r${c.round.number} ${c.from ?? 'opened'}→${c.round.state}: ${effects.join(', ')}`);
    await super.publish(c);
  }
}

/** The live sessions of sites, as SitesService sees them: records which sites it ended. */
class RecordingSessions extends LiveSiteSessions {
  readonly ended: string[] = [];
  end(siteId: string): void {
    this.ended.push(siteId);
  }
}

const silent = { info: () => undefined };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe.each(databaseTargets())('coordinator services on %s', (target) => {
  let db: TestDatabase;
  let sites: SitesService;
  let siteAuth: SiteAuthService;
  const sessions = new RecordingSessions();
  let standingOf: (now: () => number) => SiteStanding;
  let studies: StudiesService;
  let rounds: RoundsService;
  let changes: RecordingChanges;
  let presence: SitePresence;
  let blobs: FileBlobStore;
  let metrics: CoordinatorMetrics;
  let audit: TypeOrmAuditLog;

  beforeAll(async () => {
    db = await openTestDatabase(target, 'services');
    const ds = db.dataSource;
    audit = new TypeOrmAuditLog(ds);
    const siteRepo = new TypeOrmSiteRepository(ds);
    const studyRepo = new TypeOrmStudyRepository(ds);
    const roundRepo = new TypeOrmRoundRepository(ds);
    blobs = new FileBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-medium-blobs-')));
    const transactions = new TypeOrmTransactions(ds);
    sites = new SitesService(siteRepo, transactions, sessions);
    siteAuth = new SiteAuthService(siteRepo);
    standingOf = (now) => new SiteStanding(siteRepo, now);
    studies = new StudiesService(studyRepo, siteRepo, audit, transactions);
    changes = new RecordingChanges();
    presence = new SitePresence();
    metrics = new CoordinatorMetrics(roundRepo);
    const models = new GlobalModelsService(
      new TypeOrmGlobalModelRepository(ds),
      blobs,
      new FixedInitialModel(),
      studyRepo,
    );
    rounds = new RoundsService(
      studyRepo,
      roundRepo,
      new TypeOrmParticipantRepository(ds),
      models,
      transactions,
      changes,
      presence,
      metrics,
      silent,
    );
  });

  /** A site connects and says hello (what the /site gateway and SiteArrivals do), then joins. */
  const join = async (studyId: string, siteId: string) => {
    presence.connect({ siteId, send: () => undefined, hello: { ...HELLO } });
    await rounds.siteJoined(studyId, siteId);
  };
  afterAll(async () => {
    await db?.close();
  });

  const studySpec = (siteIds: string[], patch: Partial<StudySpec> = {}) => exampleStudySpec(siteIds, patch);

  it('admin token: generated once, stored hashed, verified in constant time', async () => {
    const repo = new TypeOrmAdminTokenRepository(db.dataSource);
    const first = new AdminAuthService(repo, undefined, audit);
    const token = await first.initialise();
    expect(token).toMatch(/^fa_admin_[A-Za-z0-9_-]{43}$/);
    const secret = (token as string).slice('fa_admin_'.length);
    const stored = await repo.current();
    expect(JSON.stringify(stored)).not.toContain(secret);
    const restarted = new AdminAuthService(repo, undefined, audit);
    await expect(restarted.initialise()).resolves.toBeNull(); // not shown again
    await expect(restarted.verify(token as string)).resolves.toBe(true);
    await expect(restarted.verify('wrong')).resolves.toBe(false);
    // A token generated before the fa_admin_ prefix was the bare secret; its stored hash is the same.
    await expect(restarted.verify(secret)).resolves.toBe(true);
    await expect(audit.list('admin', 'admin')).resolves.toHaveLength(1); // generated once, audited once
    const fixed = new AdminAuthService(repo, 'f'.repeat(32), audit);
    await fixed.initialise();
    await expect(fixed.verify('f'.repeat(32))).resolves.toBe(true);
  });

  it('enrolment tokens authenticate their site until it is revoked', async () => {
    const { site, enrolmentToken } = await sites.enrol('Hospital Auth', 'admin');
    await expect(siteAuth.authenticate(enrolmentToken)).resolves.toBe(site.id);
    await expect(siteAuth.authenticate(enrolmentToken.slice(0, -1) + 'x')).resolves.toBeNull();
    await sites.revoke(site.id, 'admin');
    await expect(siteAuth.authenticate(enrolmentToken)).resolves.toBeNull();
    const actions = (await audit.list('site', site.id)).map((e) => e.action);
    expect(actions).toEqual(['site.enrolled', 'site.revoked']);
    expect(sessions.ended).toEqual([site.id]); // its live sessions were told, after the row changed
  });

  it('a live session finds a revocation made by another process within STANDING_RECHECK_MS', async () => {
    const { site } = await sites.enrol('Hospital Standing', 'admin');
    let t = 0;
    const standing = standingOf(() => t); // this coordinator's view; `sites` plays the other process
    const session = {};
    await standing.check(session, site.id);
    await sites.revoke(site.id, 'admin');
    await standing.check(session, site.id); // within the re-check interval: the last look stands
    t = STANDING_RECHECK_MS;
    await expect(standing.check(session, site.id)).rejects.toMatchObject({
      code: 'SITE_REVOKED',
      message: expect.stringContaining('ask the lead to enrol the hospital again'),
    });
    await expect(standing.check({}, site.id)).rejects.toMatchObject({ code: 'SITE_REVOKED' });
  });

  it('refuses a study naming unknown or revoked sites, and names the bad field of an invalid spec', async () => {
    const { site } = await sites.enrol('Hospital Gone', 'admin');
    await sites.revoke(site.id, 'admin');
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(studies.create(studySpec([site.id, unknown]), 'admin')).rejects.toMatchObject({
      code: 'STUDY_UNKNOWN_SITES',
      details: { sites: [site.id, unknown] },
    });
    await expect(studies.create({ ...studySpec([unknown]), rounds: 0 }, 'admin')).rejects.toMatchObject({
      code: 'STUDY_SPEC_INVALID',
    });
  });

  it('runs a two-round study through every state, persisting before acting', async () => {
    const a = (await sites.enrol('Hospital A', 'admin')).site;
    const b = (await sites.enrol('Hospital B', 'admin')).site;
    const study = await studies.create(studySpec([a.id, b.id]), 'admin');
    changes.calls.length = 0;

    const started = await rounds.startStudy(study.id, 'admin');
    expect(started).toMatchObject({ status: 'running', currentRound: 1 });
    const v0 = await blobs.open(sha('initial weights'));
    v0?.stream.destroy();
    expect(v0?.bytes).toBe(FixedInitialModel.bytes.byteLength);
    const registered = await audit.list('model', `${study.id}/v0`);
    expect(registered[0]?.details).toMatchObject({ sha256: sha('initial weights'), roundNumber: null });

    await join(study.id, a.id);
    expect((await rounds.getRound(study.id, 1)).round.state).toBe('waiting'); // 1 of min_sites 2
    await join(study.id, b.id);
    expect((await rounds.getRound(study.id, 1)).round.state).toBe('training');

    const update = { nTrain: 100, sha256: sha('update a'), bytes: 1000 };
    await rounds.updateAccepted(study.id, 1, a.id, update);
    await rounds.updateAccepted(study.id, 1, a.id, update); // a retried upload is idempotent
    expect((await rounds.getRound(study.id, 1)).round.state).toBe('training');
    await rounds.updateAccepted(study.id, 1, b.id, { nTrain: 50, sha256: sha('update b'), bytes: 1000 });
    expect((await rounds.getRound(study.id, 1)).round.state).toBe('aggregating');

    const aggregate1 = await blobs.put(new TextEncoder().encode('aggregate 1'));
    await rounds.aggregationDone(study.id, 1, aggregate1);
    expect((await rounds.getRound(study.id, 1)).round.state).toBe('evaluating');
    await rounds.evaluationDone(study.id, 1);
    const r1 = (await rounds.getRound(study.id, 1)).round;
    expect(r1.state).toBe('completed');
    expect(r1.endedAt).not.toBeNull();

    // Round 2 opened and, both sites still present, started at once.
    expect((await rounds.getRound(study.id, 2)).round.state).toBe('training');
    await rounds.updateAccepted(study.id, 2, a.id, { nTrain: 100, sha256: sha('a2'), bytes: 10 });
    await rounds.updateAccepted(study.id, 2, b.id, { nTrain: 50, sha256: sha('b2'), bytes: 10 });
    const aggregate2 = await blobs.put(new TextEncoder().encode('aggregate 2'));
    await rounds.aggregationDone(study.id, 2, aggregate2);
    await rounds.evaluationDone(study.id, 2);
    await expect(studies.get(study.id)).resolves.toMatchObject({ status: 'completed', currentRound: 2 });

    // One change per transition (RoundMachine's table), each published after it is persisted.
    expect(changes.calls).toEqual([
      'r1 opened→waiting: deadline',
      'r1 waiting→training: train 2 sites, deadline',
      'r1 training→training: ',
      'r1 training→training: ',
      'r1 training→aggregating: aggregate 2 uploads',
      'r1 aggregating→evaluating: evaluate v1, deadline',
      'r1 evaluating→completed: roundCompleted',
      'r2 opened→waiting: deadline',
      'r2 waiting→training: train 2 sites, deadline',
      'r2 training→training: ',
      'r2 training→training: ',
      'r2 training→aggregating: aggregate 2 uploads',
      'r2 aggregating→evaluating: evaluate v2, deadline',
      'r2 evaluating→completed: roundCompleted',
    ]);
    const transitions = (await audit.list('round', r1.id)).filter((e) => e.action === 'round.transition');
    expect(transitions.map((e) => `${e.details.from}→${e.details.to}`)).toEqual([
      'waiting→training',
      'training→aggregating',
      'aggregating→evaluating',
      'evaluating→completed',
    ]);
    const scrape = await metrics.render();
    expect(scrape).toContain('fedaln_uploads_total 4\n'); // the repeated upload is not counted
    expect(scrape).toContain('fedaln_upload_bytes_total 2020\n');
    expect(scrape).toContain('fedaln_round_duration_seconds_count 2\n');
  });

  it('completes a dp study early, after the last round its privacy budget allows (issue 16)', async () => {
    const a = (await sites.enrol('Hospital DP A', 'admin')).site;
    const b = (await sites.enrol('Hospital DP B', 'admin')).site;
    // local_epochs 1 at q 0.02: 50 DP-SGD steps per site and round; the budget fits one round, not two.
    const steps = (n: number) => ({ noiseMultiplier: 1.3, samplingRate: 0.02, steps: 50 * n });
    const one = dpSgdEpsilon(steps(1), 1e-5).epsilon;
    const two = dpSgdEpsilon(steps(2), 1e-5).epsilon;
    const dp = {
      accounting_only: true as const,
      noise_multiplier: 1.3,
      clip_norm: 1,
      sampling_rate: 0.02,
      max_epsilon: (one + two) / 2,
      delta: 1e-5,
    };
    const study = await studies.create(studySpec([a.id, b.id], { rounds: 3, dp }), 'admin');
    await rounds.startStudy(study.id, 'admin');
    await join(study.id, a.id);
    await join(study.id, b.id);
    await rounds.updateAccepted(study.id, 1, a.id, { nTrain: 100, sha256: sha('dp a'), bytes: 10 });
    await rounds.updateAccepted(study.id, 1, b.id, { nTrain: 50, sha256: sha('dp b'), bytes: 10 });
    await rounds.aggregationDone(study.id, 1, await blobs.put(new TextEncoder().encode('dp aggregate 1')));
    await rounds.evaluationDone(study.id, 1);

    await expect(studies.get(study.id)).resolves.toMatchObject({ status: 'completed', currentRound: 1 });
    await expect(rounds.getRound(study.id, 2)).rejects.toMatchObject({ code: 'ROUND_NOT_FOUND' });
    // ε per site for round 1, from the accountant (not from anything a site sent); accounting only.
    const { privacy } = await rounds.getRound(study.id, 1);
    expect(privacy).toMatchObject({ round: 1, steps: 50, noiseAdded: false, maxEpsilon: dp.max_epsilon });
    expect(privacy?.sites).toEqual([
      { site: a.id, epsilon: one, order: expect.any(Number) },
      { site: b.id, epsilon: one, order: expect.any(Number) },
    ]);
    const spent = (await audit.list('study', study.id)).find(
      (e) => e.action === 'study.privacy_budget_spent',
    );
    expect(spent?.details).toEqual({
      roundsDone: 1,
      epsilonSpent: one,
      epsilonAfterNextRound: two,
      maxEpsilon: dp.max_epsilon,
      delta: 1e-5,
      reason: `round 2 refused: it would take ε from ${one.toFixed(3)} to ${two.toFixed(3)}, above dp.max_epsilon ${dp.max_epsilon} at δ 0.00001`,
    });
  });

  it('a site may upload only as a participant of the current training round', async () => {
    const a = (await sites.enrol('Hospital C', 'admin')).site;
    const outsider = (await sites.enrol('Hospital D', 'admin')).site;
    const study = await studies.create(studySpec([a.id], { min_sites: 1 }), 'admin');
    await rounds.startStudy(study.id, 'admin');
    await expect(rounds.siteJoined(study.id, outsider.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const update = { nTrain: 1, sha256: sha('x'), bytes: 1 };
    await expect(rounds.updateAccepted(study.id, 1, outsider.id, update)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(rounds.updateAccepted(study.id, 1, a.id, update)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    }); // still waiting
    await expect(rounds.startStudy(study.id, 'admin')).rejects.toMatchObject({
      code: 'STUDY_ILLEGAL_COMMAND',
    });
  });

  it('deadlines without quorum retry the round, then the study waits for its lead, who resumes it', async () => {
    const a = (await sites.enrol('Hospital E', 'admin')).site;
    const b = (await sites.enrol('Hospital F', 'admin')).site;
    const study = await studies.create(studySpec([a.id, b.id]), 'admin');
    await rounds.startStudy(study.id, 'admin');
    const far = () => new Date(Date.now() + 3_600_000);
    await expect(rounds.deadlinePassed(study.id, 1, new Date(0))).resolves.toMatchObject({
      state: 'waiting',
      attempt: 1,
    }); // stale timer
    for (let attempt = 2; attempt <= MAX_ROUND_ATTEMPTS; attempt++) {
      await expect(rounds.deadlinePassed(study.id, 1, far())).resolves.toMatchObject({
        state: 'waiting',
        attempt,
      });
    }
    // Issue 13: lost quorum never fails a study by itself; the lead sees why and decides.
    await expect(rounds.deadlinePassed(study.id, 1, far())).resolves.toMatchObject({
      state: 'waiting',
      attempt: MAX_ROUND_ATTEMPTS,
      deadline: null,
    });
    await expect(studies.get(study.id)).resolves.toMatchObject({ status: 'paused' });
    const waited = (await audit.list('study', study.id)).find((e) => e.action === 'study.awaiting_lead');
    expect(waited?.details).toEqual({ round: 1, reason: `no quorum after ${MAX_ROUND_ATTEMPTS} attempt(s)` });
    // GET /api/studies/:id tells the lead why (StudiesService.awaitingLead, from this audit entry).
    await expect(studies.awaitingLead(await studies.get(study.id))).resolves.toMatchObject({
      round: 1,
      reason: `no quorum after ${MAX_ROUND_ATTEMPTS} attempt(s)`,
    });
    await rounds.resumeStudy(study.id, 'admin');
    await expect(rounds.getRound(study.id, 1)).resolves.toMatchObject({
      round: { state: 'waiting', attempt: 1 },
    });
    await expect(studies.get(study.id)).resolves.toMatchObject({ status: 'running' });
    await expect(studies.awaitingLead(await studies.get(study.id))).resolves.toBeNull();
  });

  it('pause holds the next round until resume; abort fails the live round', async () => {
    const a = (await sites.enrol('Hospital G', 'admin')).site;
    const study = await studies.create(studySpec([a.id], { min_sites: 1 }), 'admin');
    await rounds.startStudy(study.id, 'admin');
    await join(study.id, a.id);
    await rounds.pauseStudy(study.id, 'admin');
    await rounds.updateAccepted(study.id, 1, a.id, { nTrain: 3, sha256: sha('g1'), bytes: 3 });
    const aggregateG1 = await blobs.put(new TextEncoder().encode('aggregate g1'));
    await rounds.aggregationDone(study.id, 1, aggregateG1);
    await rounds.evaluationDone(study.id, 1);
    await expect(rounds.listRounds(study.id)).resolves.toHaveLength(1); // paused: no round 2 yet
    await rounds.resumeStudy(study.id, 'admin');
    await expect(rounds.getRound(study.id, 2)).resolves.toMatchObject({ round: { state: 'training' } });
    changes.calls.length = 0;
    await expect(rounds.abortStudy(study.id, 'admin')).resolves.toMatchObject({ status: 'aborted' });
    await expect(rounds.getRound(study.id, 2)).resolves.toMatchObject({ round: { state: 'failed' } });
    // The abort is published like any transition (so it reaches the dashboard).
    expect(changes.calls).toEqual([`r2 training→failed: roundFailed`]);
    const actions = (await audit.list('study', study.id)).map((e) => e.action);
    expect(actions).toEqual(['study.created', 'study.start', 'study.pause', 'study.resume', 'study.abort']);
  });
});
