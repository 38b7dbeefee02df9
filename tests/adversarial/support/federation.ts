/**
 * One federation under attack (issue 13): the built coordinator (fresh database), the lead's REST
 * calls, enrolment, a study of scripted sites, and the honest side of a round — sites that upload
 * a small seeded delta and report seeded predictions (`@fedaln/metrics`), as in release-study.ts.
 * Timeouts are multiples of {@link Federation.unitMs}, one measured REST round trip of this run.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { decodeBlob, encodeBlob, type NamedTensor, type TaskPayload } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  coordinatorDataSource,
  initialiseDataSource,
} from '../../../apps/coordinator/src/persistence/data-source';
import { Coordinator, freePort } from '../../e2e/support/coordinator';
import { freshDatabase, type FreshDatabase } from '../../e2e/support/fresh-database';
import { prng, reportOf, syntheticPredictions, type ApiResult } from '../../e2e/support/release-study';
import { expectOk, HELLO, ScriptedSite } from '../../e2e/support/site-client';
import { pgliteDriver } from '../../medium/coordinator-database';

export const ADMIN = 'adversarial-admin-token-0123456789';

/** The case counts every scripted site declares in its hello (`HELLO`) and has approved. */
export const CASES = { n_train: HELLO.n_train, n_test: HELLO.n_test } as const;

/** A release policy the honest sites' seeded reports pass (their AUC is ≈ 0.9). */
export const PASSABLE_POLICY = {
  min_site_auc: 0.6,
  min_pooled_auc: 0.6,
  dca_range: [0.2, 0.5],
  min_sites_passing: 'all',
} as const;

export interface EnrolledSite {
  readonly id: string;
  readonly token: string;
}

export class Federation {
  private constructor(
    readonly coordinator: Coordinator,
    private readonly database: FreshDatabase,
    /** One REST round trip of this run, measured at start: the unit of every wait's timeout. */
    readonly unitMs: number,
  ) {}

  /** Starts the built coordinator on a fresh database (PGlite without DATABASE_URL). */
  static async start(label: string, env: NodeJS.ProcessEnv = {}): Promise<Federation> {
    const database = await freshDatabase(label);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fedaln-adversarial-${label}-`));
    const coordinator = new Coordinator(await freePort(), dataDir, {
      FEDALN_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: database.url,
      ...env,
    });
    await coordinator.start();
    // One warm-up call, then the median of five: the unit of a step on this machine, as busy as it is.
    const call = () => fetch(`${coordinator.baseUrl}/api/sites`, { headers: auth() }).then((r) => r.text());
    await call();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await call();
      times.push(performance.now() - t0);
    }
    const unitMs = times.sort((a, b) => a - b)[2]!;
    return new Federation(coordinator, database, Math.max(20, unitMs));
  }

  /** `k` measured units: a wait's timeout for work k times a REST round trip, floored at 5 s. */
  budget(k: number): number {
    return Math.max(5_000, k * this.unitMs);
  }

  /**
   * A round deadline (s) for a test that waits one out: a hundred measured units, so a busy machine
   * still uploads in time, and at least the study spec's least, 10 s.
   */
  shortDeadlineS(): number {
    return Math.max(10, Math.ceil(this.budget(100) / 1000));
  }

  async api(method: string, url: string, body?: unknown): Promise<ApiResult> {
    const res = await fetch(this.coordinator.baseUrl + url, {
      method,
      headers: { ...auth(), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { status: res.status, json: text };
    }
  }

  /** Enrols a site with the case counts the lead approves for it. */
  async enrol(name: string, cases: { n_train: number; n_test: number } = CASES): Promise<EnrolledSite> {
    const r = await this.api('POST', '/api/sites', { name, ...cases });
    if (r.status !== 201) throw new Error(`enrolling ${name}: ${r.status} ${JSON.stringify(r.json)}`);
    return { id: String(r.json.id), token: String(r.json.enrolment_token) };
  }

  /** Creates and starts a study of scripted sites (densenet-tiny, random init, 32 px). */
  async startStudy(siteIds: string[], spec: Record<string, unknown> = {}): Promise<string> {
    const id = await this.createStudy(siteIds, spec);
    await this.start(id);
    return id;
  }

  /** Creates a study (densenet-tiny, random init, 32 px unless `spec` says otherwise); not started. */
  async createStudy(siteIds: string[], spec: Record<string, unknown> = {}): Promise<string> {
    const created = await this.api('POST', '/api/studies', {
      name: 'adversarial',
      arch: 'densenet-tiny',
      input_size: 32,
      init_weights: 'random',
      rounds: 1,
      local_epochs: 1,
      batch_size: 4,
      learning_rate: 0.001,
      min_sites: siteIds.length,
      round_deadline_s: 600,
      sites: siteIds,
      release_policy: PASSABLE_POLICY,
      // No validation split (issue 15), as every study these tests were written for.
      validation_fraction: 0,
      ...spec,
    });
    if (created.status !== 201) throw new Error(`creating the study: ${JSON.stringify(created.json)}`);
    return String(created.json.id);
  }

  async start(studyId: string): Promise<void> {
    const started = await this.api('POST', `/api/studies/${studyId}/start`);
    if (started.status >= 300) throw new Error(`starting the study: ${JSON.stringify(started.json)}`);
  }

  /** Resolves the study once `done` holds of `GET /api/studies/:id` (polled: REST has no events). */
  async waitForStudy(studyId: string, done: (study: ApiResult['json']) => boolean, units = 2_000) {
    const timeout = this.budget(units);
    for (const end = Date.now() + timeout; ;) {
      const r = await this.api('GET', `/api/studies/${studyId}`);
      if (done(r.json)) return r.json;
      if (Date.now() > end)
        throw new Error(`study not as expected within ${timeout} ms: ${JSON.stringify(r.json)}`);
      await new Promise((res) => setTimeout(res, this.unitMs));
    }
  }

  /**
   * Audit rows of `action` about `subjectId`, read from the coordinator's own database after it
   * stopped (SIGTERM): no REST route lists the audit log, and PGlite admits one process at a time.
   */
  async auditRowsAfterStop(action: string, subjectId: string): Promise<number> {
    await this.coordinator.kill('SIGTERM');
    const options = this.database.url
      ? { url: this.database.url }
      : { driver: pgliteDriver(path.join(this.coordinator.dataDir, 'pg')) };
    const ds = await initialiseDataSource(coordinatorDataSource(options));
    try {
      const rows = (await ds.query(
        'SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND subject_id = $2',
        [action, subjectId],
      )) as { n: number }[];
      return rows[0]!.n;
    } finally {
      await ds.destroy();
    }
  }

  async stop(): Promise<void> {
    await this.coordinator.kill('SIGTERM');
    await this.database.drop();
    fs.rmSync(this.coordinator.dataDir, { recursive: true, force: true });
  }
}

/**
 * Inside a `describe`: a federation started before its tests and stopped after them; the returned
 * function gives it to a test.
 *
 * @example const federation = useFederation('floods'); it('…', async () => federation().enrol('A'));
 */
export function useFederation(label: string): () => Federation {
  let federation: Federation | undefined;
  beforeAll(async () => {
    federation = await Federation.start(label);
  });
  afterAll(async () => {
    await federation?.stop();
  });
  return () => {
    if (!federation) throw new Error(`the ${label} federation did not start (see beforeAll)`);
    return federation;
  };
}

function auth() {
  return { authorization: `Bearer ${ADMIN}` };
}

/** The global model a task names. */
export async function globalOf(site: ScriptedSite, task: TaskPayload): Promise<NamedTensor[]> {
  return decodeBlob(await site.download(task));
}

/** A small seeded delta, |δ| ≤ 5e-4, shaped like `global`. */
export function honestDelta(global: readonly NamedTensor[], seed: number): NamedTensor[] {
  const next = prng(seed);
  return global.map((t) => ({
    name: t.name,
    shape: t.shape,
    values: Float32Array.from(t.values, () => (next() - 0.5) / 1000),
  }));
}

/**
 * An honest site's training: its train task of `round` (or the `task` already taken), then its
 * seeded delta uploaded with its approved count.
 */
export async function honestUpload(site: ScriptedSite, round: number | TaskPayload, seed: number) {
  const task = typeof round === 'number' ? await site.task('train', round) : round;
  const delta = honestDelta(await globalOf(site, task), seed);
  expectOk(await site.upload(task, encodeBlob(delta), CASES.n_train));
  return { task, delta };
}

/**
 * An honest site's evaluation: its evaluate task of `round` (or the `task` already taken), then a
 * report of seeded predictions on its test cases.
 */
export async function honestReport(site: ScriptedSite, round: number | TaskPayload, seed: number) {
  const task = typeof round === 'number' ? await site.task('evaluate', round) : round;
  const p = syntheticPredictions(seed, CASES.n_test, 1.6);
  expectOk(await site.report(task, reportOf(p.labels, p.scores)));
  return task;
}

/** `promise`, or a rejection naming `what` after `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
