/**
 * In-memory adapters of the coordinator's ports, for the unit specs of its intake and orchestration
 * classes (test-only; nothing here is built into the app). Repositories keep plain records; the
 * monitor feed and the log record what they are told. `inMemoryCoordinator()` builds the real
 * `RoundsService` over them, so those specs drive the real round machine rather than a script of it.
 *
 * @example
 * const c = inMemoryCoordinator();
 * const { study, round } = await seedRound(c, { sites: ['a', 'b'], state: 'training' });
 */
import type {
  HelloPayload,
  MetricsReceivedEvent,
  SiteMetricsReport,
  SiteStatusEvent,
  TaskPayload,
  TrainingProgressEvent,
  TransferProgressEvent,
} from '@fedaln/protocol';
import { releasedReport } from '@fedaln/metrics';
import { afterAll } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { AuditLog } from '../../apps/coordinator/src/audit/audit-log';
import { Transactions, type UnitOfWork } from '../../apps/coordinator/src/domain/transactions';
import { ReleaseRepository, VerdictRepository } from '../../apps/coordinator/src/releases/release.repository';
import { BlobStore, type StoredBlob } from '../../apps/coordinator/src/blobs/blob-store';
import type {
  AuditEntry,
  AuditRecord,
  CaseCounts,
  GlobalModel,
  Participant,
  ParticipantState,
  Round,
  SecretHash,
  Site,
  Study,
  UpdateScreening,
} from '../../apps/coordinator/src/domain/records';
import type { StudyStatus } from '../../apps/coordinator/src/domain/study-lifecycle';
import type { StudySpec } from '../../apps/coordinator/src/domain/study-spec';
import {
  MetricsReportStore,
  type StoredMetricsReport,
} from '../../apps/coordinator/src/evaluation/metrics-report-store';
import { GlobalModelRepository } from '../../apps/coordinator/src/models/global-model.repository';
import { GlobalModelsService } from '../../apps/coordinator/src/models/global-models.service';
import { InitialModelFactory } from '../../apps/coordinator/src/models/initial-model.factory';
import {
  ParticipantRepository,
  type AcceptedUpdate,
} from '../../apps/coordinator/src/rounds/participant.repository';
import { LocalRoundChanges, type RoundChange } from '../../apps/coordinator/src/rounds/round-changes';
import type { RoundEffect, RoundState } from '../../apps/coordinator/src/rounds/round-machine';
import {
  RoundRepository,
  type NewRound,
  type RoundChange as RoundUpdate,
} from '../../apps/coordinator/src/rounds/round.repository';
import { RoundsService } from '../../apps/coordinator/src/rounds/rounds.service';
import { SitePresence, type SiteSession } from '../../apps/coordinator/src/rounds/site-presence';
import { SiteRepository } from '../../apps/coordinator/src/sites/site.repository';
import { StudyRepository } from '../../apps/coordinator/src/studies/study.repository';
import { CoordinatorMetrics } from '../../apps/coordinator/src/telemetry/coordinator-metrics';
import { MonitorFeed } from '../../apps/coordinator/src/telemetry/monitor-feed';
import type { DomainErrorCode } from '../../apps/coordinator/src/domain/domain-error';
import { HELLO } from '../e2e/support/site-client';
import { exampleStudySpec } from './coordinator-fixtures';

export { HELLO };

export const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export class MemoryStudies extends StudyRepository {
  private readonly byId = new Map<string, Study>();

  async create(spec: StudySpec): Promise<Study> {
    const at = new Date();
    const study: Study = {
      id: randomUUID(),
      name: spec.name,
      spec,
      status: 'draft',
      currentRound: 0,
      createdAt: at,
      updatedAt: at,
    };
    this.byId.set(study.id, study);
    return study;
  }
  async list(): Promise<Study[]> {
    return [...this.byId.values()];
  }
  async findById(id: string): Promise<Study | null> {
    return this.byId.get(id) ?? null;
  }
  async update(id: string, change: { status?: StudyStatus; currentRound?: number }): Promise<Study> {
    const study = this.byId.get(id);
    if (!study) throw new Error(`MemoryStudies: no study ${id}`);
    const updated = { ...study, ...change, updatedAt: new Date() };
    this.byId.set(id, updated);
    return updated;
  }
}

export class MemorySites extends SiteRepository {
  private readonly byId = new Map<string, Site>();
  private readonly tokens = new Map<string, { siteId: string; secret: SecretHash }>();

  /** A site as enrolment left it, under a chosen id (specs name sites 'a', 'b', …). */
  put(id: string, approved: CaseCounts | null = null): Site {
    const site: Site = {
      id,
      name: `Hospital ${id}`,
      status: 'active',
      createdAt: new Date(),
      revokedAt: null,
      approvedCases: approved,
      claimedCases: null,
    };
    this.byId.set(id, site);
    return site;
  }
  async create(name: string, tokenId: string, token: SecretHash, approved: CaseCounts | null): Promise<Site> {
    const site = { ...this.put(randomUUID(), approved), name };
    this.byId.set(site.id, site);
    this.tokens.set(tokenId, { siteId: site.id, secret: token });
    return site;
  }
  async list(): Promise<Site[]> {
    return [...this.byId.values()];
  }
  async findById(id: string): Promise<Site | null> {
    return this.byId.get(id) ?? null;
  }
  async revoke(id: string, at: Date): Promise<Site | null> {
    const site = this.byId.get(id);
    if (!site) return null;
    const revoked = { ...site, status: 'revoked' as const, revokedAt: site.revokedAt ?? at };
    this.byId.set(id, revoked);
    for (const [tokenId, t] of this.tokens) if (t.siteId === id) this.tokens.delete(tokenId);
    return revoked;
  }
  async approveCases(id: string, approved: CaseCounts): Promise<Site | null> {
    const site = this.byId.get(id);
    if (!site) return null;
    const updated = { ...site, approvedCases: approved };
    this.byId.set(id, updated);
    return updated;
  }
  async recordClaimedCases(id: string, claimed: CaseCounts): Promise<void> {
    const site = this.byId.get(id);
    if (site) this.byId.set(id, { ...site, claimedCases: claimed });
  }
  async findToken(tokenId: string): Promise<{ siteId: string; secret: SecretHash } | null> {
    return this.tokens.get(tokenId) ?? null;
  }
}

export class MemoryRounds extends RoundRepository {
  private readonly all: Round[] = [];

  async create(round: NewRound): Promise<Round> {
    const created = { ...round, id: randomUUID(), endedAt: null, failureReason: null };
    this.all.push(created);
    return created;
  }
  async find(studyId: string, number: number): Promise<Round | null> {
    return this.all.find((r) => r.studyId === studyId && r.number === number) ?? null;
  }
  async list(studyId: string): Promise<Round[]> {
    return this.all.filter((r) => r.studyId === studyId).sort((a, b) => a.number - b.number);
  }
  async update(id: string, change: RoundUpdate): Promise<Round> {
    const i = this.all.findIndex((r) => r.id === id);
    if (i < 0) throw new Error(`MemoryRounds: no round ${id}`);
    const updated = { ...(this.all[i] as Round), ...change };
    this.all[i] = updated;
    return updated;
  }
  async countByState(): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    for (const r of this.all) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    return counts;
  }
}

export class MemoryParticipants extends ParticipantRepository {
  private readonly rows: Participant[] = [];

  /** Puts a row as it would stand after the round's earlier steps (replacing the site's row). */
  put(row: Participant): void {
    const i = this.rows.findIndex(
      (p) => p.studyId === row.studyId && p.roundNumber === row.roundNumber && p.siteId === row.siteId,
    );
    if (i < 0) this.rows.push(row);
    else this.rows[i] = row;
  }
  async assign(studyId: string, roundNumber: number, siteIds: readonly string[]): Promise<void> {
    const have = new Set((await this.list(studyId, roundNumber)).map((p) => p.siteId));
    for (const siteId of siteIds.filter((s) => !have.has(s))) {
      this.put(participant(studyId, roundNumber, siteId, 'assigned'));
    }
  }
  async recordUpload(
    studyId: string,
    roundNumber: number,
    siteId: string,
    update: AcceptedUpdate,
  ): Promise<Participant> {
    const row = { ...participant(studyId, roundNumber, siteId, 'uploaded'), ...uploadColumns(update) };
    this.put(row);
    return row;
  }
  async markStragglers(studyId: string, roundNumber: number): Promise<string[]> {
    const late = (await this.list(studyId, roundNumber)).filter((p) => p.state === 'assigned');
    for (const p of late) this.put({ ...p, state: 'straggler', reason: 'missed the deadline' });
    return late.map((p) => p.siteId);
  }
  async list(studyId: string, roundNumber: number): Promise<Participant[]> {
    return this.rows
      .filter((p) => p.studyId === studyId && p.roundNumber === roundNumber)
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
  }
  async reopen(studyId: string, roundNumber: number): Promise<void> {
    const keep = this.rows.filter((p) => !(p.studyId === studyId && p.roundNumber === roundNumber));
    this.rows.splice(0, this.rows.length, ...keep);
  }
  async recordScreening(
    studyId: string,
    roundNumber: number,
    screening: ReadonlyMap<string, UpdateScreening>,
  ): Promise<void> {
    for (const p of await this.list(studyId, roundNumber)) {
      const s = screening.get(p.siteId);
      if (s) this.put({ ...p, screening: JSON.parse(JSON.stringify(s)) as UpdateScreening });
    }
  }
}

const uploadColumns = (u: AcceptedUpdate) => ({
  nTrain: u.nTrain,
  updateSha256: u.sha256,
  updateBytes: u.bytes,
});

function participant(
  studyId: string,
  roundNumber: number,
  siteId: string,
  state: ParticipantState,
): Participant {
  return {
    studyId,
    roundNumber,
    siteId,
    state,
    reason: null,
    nTrain: null,
    updateSha256: null,
    updateBytes: null,
    screening: null,
  };
}

export class MemoryModels extends GlobalModelRepository {
  private readonly versions: GlobalModel[] = [];

  async add(model: Omit<GlobalModel, 'createdAt'>): Promise<GlobalModel> {
    const added = { ...model, createdAt: new Date() };
    this.versions.push(added);
    return added;
  }
  async find(studyId: string, version: number): Promise<GlobalModel | null> {
    return this.versions.find((m) => m.studyId === studyId && m.version === version) ?? null;
  }
}

export class MemoryAudit extends AuditLog {
  readonly entries: AuditRecord[] = [];

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push({ ...entry, id: this.entries.length + 1, at: new Date() });
  }
  async list(subjectType: AuditEntry['subjectType'], subjectId: string): Promise<AuditRecord[]> {
    return this.entries.filter((e) => e.subjectType === subjectType && e.subjectId === subjectId);
  }
}

/** Releases and verdicts are not kept in memory: a spec that makes them uses a real database. */
const notInMemory = (): Promise<never> =>
  Promise.reject(new Error('releases and verdicts are not kept in memory: use a medium test on a database'));
class NoReleases extends ReleaseRepository {
  nextVersion = notInMemory;
  add = notInMemory;
  find = notInMemory;
  findByRound = notInMemory;
  list = notInMemory;
  lastManifestSha256 = notInMemory;
}
class NoVerdicts extends VerdictRepository {
  save = notInMemory;
  find = notInMemory;
  list = notInMemory;
}

/** Runs the work on the memory ports: there is no rollback here (the medium tests on a database have it). */
export class MemoryTransactions extends Transactions {
  constructor(private readonly tx: UnitOfWork) {
    super();
  }
  run<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    return work(this.tx);
  }
}

export class MemoryReports extends MetricsReportStore {
  private readonly byKey = new Map<string, StoredMetricsReport>();

  async save(report: StoredMetricsReport): Promise<void> {
    this.byKey.set(`${report.studyId}/${report.round}/${report.siteId}`, report);
  }
  async list(studyId: string, round: number): Promise<StoredMetricsReport[]> {
    return [...this.byKey.values()]
      .filter((r) => r.studyId === studyId && r.round === round)
      .sort((a, b) => a.siteId.localeCompare(b.siteId));
  }
  async reportedSites(studyId: string, round: number): Promise<string[]> {
    return (await this.list(studyId, round)).map((r) => r.siteId);
  }
}

/** A blob store with nothing in it, for specs that never read or write weights. */
export class EmptyBlobStore extends BlobStore {
  private refuse(): Promise<StoredBlob> {
    return Promise.reject(new Error('EmptyBlobStore keeps no blobs: give the spec a FileBlobStore'));
  }
  put(): Promise<StoredBlob> {
    return this.refuse();
  }
  adopt(): Promise<StoredBlob> {
    return this.refuse();
  }
  putChunks(): Promise<StoredBlob> {
    return this.refuse();
  }
  async has(): Promise<boolean> {
    return false;
  }
  async open(): Promise<{ stream: Readable; bytes: number } | null> {
    return null;
  }
  async localFile(): Promise<string | null> {
    return null;
  }
  async removeUnreferenced(): Promise<string[]> {
    return [];
  }
  async removeTemporaries(): Promise<string[]> {
    return [];
  }
}

/** Version 0 is seeded with `models.add` in these specs; starting a study here is a mistake. */
class NoInitialModel extends InitialModelFactory {
  create(): Promise<Uint8Array> {
    return Promise.reject(new Error('seed version 0 with models.add instead of starting the study'));
  }
}

/** What the dashboard was told, in order. */
export type MonitorMessage =
  | { readonly kind: 'siteStatus'; readonly event: SiteStatusEvent }
  | { readonly kind: 'transferProgress'; readonly event: TransferProgressEvent }
  | { readonly kind: 'metricsReceived'; readonly event: MetricsReceivedEvent }
  | { readonly kind: 'trainingProgress'; readonly event: TrainingProgressEvent };

export class RecordingMonitor extends MonitorFeed {
  readonly told: MonitorMessage[] = [];

  siteStatus(event: SiteStatusEvent): void {
    this.told.push({ kind: 'siteStatus', event });
  }
  transferProgress(event: TransferProgressEvent): void {
    this.told.push({ kind: 'transferProgress', event });
  }
  metricsReceived(event: MetricsReceivedEvent): void {
    this.told.push({ kind: 'metricsReceived', event });
  }
  trainingProgress(event: TrainingProgressEvent): void {
    this.told.push({ kind: 'trainingProgress', event });
  }
}

/** A log for every service that takes one; keeps the lines so a spec can check what was reported. */
export class RecordingLog {
  readonly lines: {
    readonly level: 'info' | 'warn' | 'error';
    readonly obj: object;
    readonly msg: string;
  }[] = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
}

export interface InMemoryCoordinator {
  readonly studies: MemoryStudies;
  /** Empty: specs `put` the sites they need (seedRound puts its sites with approved counts). */
  readonly sites: MemorySites;
  readonly rounds: MemoryRounds;
  readonly participants: MemoryParticipants;
  readonly models: MemoryModels;
  readonly audit: MemoryAudit;
  /** The ports above as one transaction's (no rollback in memory); releases and verdicts refuse. */
  readonly unitOfWork: UnitOfWork;
  readonly transactions: MemoryTransactions;
  readonly reports: MemoryReports;
  readonly monitor: RecordingMonitor;
  readonly presence: SitePresence;
  readonly changes: LocalRoundChanges;
  readonly log: RecordingLog;
  /** The real service over the ports above; nothing listens to `changes` until a spec subscribes. */
  readonly service: RoundsService;
}

/** `blobs` holds version 0 and the aggregates; give a FileBlobStore where a spec moves weights. */
export function inMemoryCoordinator(blobs: BlobStore = new EmptyBlobStore()): InMemoryCoordinator {
  const studies = new MemoryStudies();
  const sites = new MemorySites();
  const rounds = new MemoryRounds();
  const participants = new MemoryParticipants();
  const models = new MemoryModels();
  const audit = new MemoryAudit();
  const changes = new LocalRoundChanges();
  const presence = new SitePresence();
  const log = new RecordingLog();
  const globalModels = new GlobalModelsService(models, blobs, new NoInitialModel(), studies);
  const metrics = new CoordinatorMetrics(rounds);
  const unitOfWork: UnitOfWork = {
    studies,
    rounds,
    participants,
    sites,
    models,
    releases: new NoReleases(),
    verdicts: new NoVerdicts(),
    audit,
  };
  const transactions = new MemoryTransactions(unitOfWork);
  const service = new RoundsService(
    studies,
    rounds,
    participants,
    globalModels,
    transactions,
    changes,
    presence,
    metrics,
    log,
  );
  const reports = new MemoryReports();
  const monitor = new RecordingMonitor();
  return {
    studies,
    sites,
    rounds,
    participants,
    models,
    audit,
    unitOfWork,
    transactions,
    reports,
    monitor,
    presence,
    changes,
    log,
    service,
  };
}

export interface RoundSeed {
  readonly sites: readonly string[];
  readonly state: RoundState;
  /** Default 1 (the study's current round). */
  readonly number?: number;
  readonly status?: StudyStatus;
  readonly spec?: Partial<StudySpec>;
  /** Default: the spec's round deadline from now. */
  readonly deadline?: Date | null;
  /** Participant rows by site; uploaded rows get 10 training cases and an update named by the site. */
  readonly participants?: Readonly<Record<string, ParticipantState>>;
}

/** The counts seedRound approves for its sites: HELLO's, and the n of {@link metricsReport}. */
export const SEEDED_CASES: CaseCounts = Object.freeze({ nTrain: HELLO.n_train, nTest: HELLO.n_test });

/** A study (running by default) whose current round stands in `state`, as earlier steps left it. */
export async function seedRound(
  c: InMemoryCoordinator,
  seed: RoundSeed,
): Promise<{ study: Study; round: Round }> {
  const number = seed.number ?? 1;
  for (const id of seed.sites) if (!(await c.sites.findById(id))) c.sites.put(id, SEEDED_CASES);
  const created = await c.studies.create(exampleStudySpec([...seed.sites], seed.spec));
  const study = await c.studies.update(created.id, {
    status: seed.status ?? 'running',
    currentRound: number,
  });
  const now = Date.now();
  const round = await c.rounds.create({
    studyId: study.id,
    number,
    state: seed.state,
    attempt: 1,
    deadline:
      seed.deadline === undefined ? new Date(now + study.spec.round_deadline_s * 1000) : seed.deadline,
    startedAt: new Date(now),
  });
  for (const [siteId, state] of Object.entries(seed.participants ?? {})) {
    const row = participant(study.id, number, siteId, state);
    const update = { nTrain: 10, sha256: sha256Hex(`update of ${siteId}`), bytes: 1 };
    c.participants.put(state === 'uploaded' ? { ...row, ...uploadColumns(update) } : row);
  }
  return { study, round };
}

/** A published change of `round`; `from` defaults to the round's own state (no move). */
export function changeOf(
  study: Study,
  round: Round,
  effects: readonly RoundEffect[] = [],
  more: Partial<Pick<RoundChange, 'from' | 'event' | 'uploads'>> = {},
): RoundChange {
  return {
    study,
    round,
    from: round.state,
    event: 'updateAccepted',
    effects: [{ type: 'persistRound' }, ...effects],
    uploads: [],
    ...more,
  };
}

/** A connected site's session that keeps the tasks sent to it. */
export function recordingSession(
  siteId: string,
  hello: HelloPayload | null = HELLO,
): SiteSession & { readonly tasks: TaskPayload[] } {
  const tasks: TaskPayload[] = [];
  return {
    siteId,
    hello,
    tasks,
    send: (task) => {
      tasks.push(task);
    },
  };
}

/** Connects a recording session of `siteId` (as the `/site` gateway does) and returns it. */
export function connectSession(c: InMemoryCoordinator, siteId: string, hello: HelloPayload | null = HELLO) {
  const session = recordingSession(siteId, hello);
  c.presence.connect(session);
  return session;
}

/** 25 test cases, 10 positive, and their scores: what {@link metricsReport} evaluates. */
const REPORT_LABELS: readonly number[] = Object.freeze(
  Array.from({ length: 25 }, (_, i) => (i < 10 ? 1 : 0)),
);
const REPORT_SCORES: readonly number[] = Object.freeze(
  REPORT_LABELS.map((y, i) => (y === 1 ? 0.45 + i / 20 : (i - 10) / 25)),
);

/**
 * A site's evaluation report of 25 test cases, 10 positive (SEEDED_CASES' n_test), as the site client
 * builds it (`releasedReport` of @fedaln/metrics: the study's layout and privacy rule, k = 5), with its AUC replaced by `auc` — what the
 * dashboard and the policy read.
 */
export function metricsReport(auc: number | null): SiteMetricsReport {
  return { ...releasedReport({ labels: REPORT_LABELS, scores: REPORT_SCORES }), auc };
}

/** A directory under the OS temp dir for this spec file, removed after its tests. */
export function temporaryDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fedaln-${label}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An `it.each` row: what is wrong, the site that acts, the DomainError code, the payload's edit. */
export type Refusal<P> = [what: string, siteId: string, code: DomainErrorCode, edit: (p: P) => P];

/**
 * The refusals every act of a site in a round shares (current-round.ts: a site acts only in its own
 * studies and only in the study's current round), as `it.each` rows [what, site, code, edit of a
 * payload that is otherwise fine from site `a`].
 */
export function outsideCurrentRound<P extends { study_id: string; round: number }>(
  outsider: string,
): Refusal<P>[] {
  return [
    ['a site outside the study', outsider, 'FORBIDDEN', (p) => p],
    ['an unknown study', 'a', 'STUDY_NOT_FOUND', (p) => ({ ...p, study_id: randomUUID() })],
    ['an earlier round', 'a', 'ROUND_NOT_CURRENT', (p) => ({ ...p, round: p.round - 1 })],
    ['a later round', 'a', 'ROUND_NOT_CURRENT', (p) => ({ ...p, round: p.round + 1 })],
  ];
}
