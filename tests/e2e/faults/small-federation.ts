/**
 * The small real federation the fault and kill tests share: the built coordinator (PGlite), two
 * enrolled phantom sites (libs/phantom, 40 cases at 32 px each: 32 train, 8 test; fewer leave a test split with under 2
 * positive cases, which cannot be evaluated), and helpers to run
 * a one-round densenet-tiny study and check how it ended. The data is generated once per test file.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeBlob, type NamedTensor } from '@fedaln/protocol';
import { exampleStudySpec } from '../../medium/coordinator-fixtures';
import { adminApi, Coordinator, freePort, globalModel } from '../support/coordinator';
import { waitUntil } from '../support/processes';
import { siteProcess, type SiteProcess } from '../support/site-process';

const ROOT = path.join(__dirname, '../../..');
export const ADMIN = 'e2e-faults-admin-token-0123456789ab';
export const CASES = 40;
/** The phantom's stratified 80/20 split of {@link CASES}: what the lead approves at enrolment. */
export const N_TRAIN = 32;
export const N_TEST = 8;

export interface CoordinatorOptions {
  readonly args?: readonly string[];
  readonly wrap?: readonly string[];
  readonly host?: string;
}

export interface EnrolledSite {
  readonly k: number;
  readonly id: string;
  readonly token: string;
  readonly data: string;
}

export class SmallFederation {
  readonly sites: EnrolledSite[] = [];
  readonly coordinator: Coordinator;
  private studies = 0;

  private constructor(
    readonly dir: string,
    port: number,
    env: NodeJS.ProcessEnv,
    serve: CoordinatorOptions,
  ) {
    this.coordinator = new Coordinator(
      port,
      path.join(dir, 'coordinator'),
      { FEDALN_ADMIN_TOKEN: ADMIN, DATABASE_URL: '', ...env },
      serve.args,
      serve,
    );
  }

  /**
   * Generates the phantom (seed 11), starts the coordinator (`serve` flags, a command prefix and
   * the address it is reached at in `serve`) and enrols two sites.
   */
  static async create(
    label: string,
    env: NodeJS.ProcessEnv = {},
    serve: CoordinatorOptions = {},
  ): Promise<SmallFederation> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fedaln-e2e-${label}-`));
    const gen = spawnSync(process.execPath, [
      path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
      ...['--sites', '2', '--cases', String(CASES), '--size', '32', '--seed', '11'],
      ...['--out', path.join(dir, 'phantom')],
    ]);
    if (gen.status !== 0) throw new Error(`fedaln-phantom failed: ${gen.stderr.toString()}`);
    const fed = new SmallFederation(dir, await freePort(), env, serve);
    await fed.coordinator.start(180_000);
    for (const k of [1, 2]) {
      const r = await fed.api('POST', '/api/sites', { name: `site${k}`, n_train: N_TRAIN, n_test: N_TEST });
      if (r.status !== 201) throw new Error(`enrolling site ${k}: ${r.status} ${JSON.stringify(r.json)}`);
      fed.sites.push({
        k,
        id: String(r.json.id),
        token: String(r.json.enrolment_token),
        data: path.join(dir, 'phantom', `site${k}`),
      });
    }
    return fed;
  }

  /** Writes the coordinator's and the sites' output beside the data (for a failed run's post-mortem). */
  keepLogs(sites: readonly SiteProcess[]): void {
    fs.writeFileSync(path.join(this.dir, 'coordinator.log'), this.coordinator.log);
    sites.forEach((s, i) => fs.writeFileSync(path.join(this.dir, `site-process-${i + 1}.log`), s.err()));
  }

  api(method: string, url: string, body?: unknown) {
    return adminApi(this.coordinator.baseUrl, ADMIN, method, url, body);
  }

  /**
   * `fedaln-site run` for site k against `url` (the coordinator's unless given), on the work dir
   * `work/site<k>`, or `work/<workDir>` (kept across restarts: an interrupted upload is resumed from
   * it; a model downloaded once is taken from it, so a study whose global model a site has seen
   * before downloads nothing there).
   */
  runSite(
    k: number,
    url = this.coordinator.baseUrl,
    options: { wrap?: string[]; name?: string; workDir?: string; args?: readonly string[] } = {},
  ): SiteProcess {
    const site = this.sites[k - 1]!;
    const work = path.join(this.dir, 'work', options.workDir ?? `site${k}`);
    return siteProcess(
      [
        'run',
        ...['--coordinator', url, '--data', site.data, '--work-dir', work],
        ...['--arch', 'densenet-tiny', '--input-size', '32', '--engine', 'auto'],
        ...(options.args ?? []),
      ],
      this.dir,
      { FEDALN_SITE_TOKEN: site.token },
      { name: options.name ?? `site${k}`, wrap: options.wrap },
    );
  }

  /** The spec of every study here: both sites, `rounds` rounds (one by default), fixed seeds. */
  studySpec(rounds = 1) {
    return exampleStudySpec(
      this.sites.map((s) => s.id),
      {
        name: `faults study ${++this.studies}`,
        rounds,
        min_sites: 2,
        batch_size: 8,
        learning_rate: 0.005,
        // Long enough that no fault or restart here ends a round by its deadline.
        round_deadline_s: 900,
        // 8 test cases a site: under k = 5 every score summary would be withheld; phantom data.
        privacy: { min_cell_count: 1, override_reason: 'phantom data, no patients' },
      },
    );
  }

  /** Creates a study of {@link studySpec}; resolves its id. */
  async createStudy(rounds = 1): Promise<string> {
    const created = await this.api('POST', '/api/studies', this.studySpec(rounds));
    if (created.status !== 201) throw new Error(`creating a study: ${JSON.stringify(created.json)}`);
    return String(created.json.id);
  }

  /** Creates and starts a study of {@link studySpec}; resolves its id. */
  async startStudy(rounds = 1): Promise<string> {
    const id = await this.createStudy(rounds);
    const started = await this.api('POST', `/api/studies/${id}/start`);
    if (started.status >= 300) throw new Error(`starting study ${id}: ${JSON.stringify(started.json)}`);
    return id;
  }

  /** Resolves once the study is completed; rejects early if a process in `alive` exits. */
  async completed(studyId: string, alive: () => SiteProcess[] = () => []): Promise<void> {
    await waitUntil(
      `study ${studyId} to complete`,
      async () => {
        const r = await this.api('GET', `/api/studies/${studyId}`).catch(() => null);
        return r?.json.status === 'completed';
      },
      {
        timeoutMs: 240_000,
        intervalMs: 250,
        abort: () => {
          const dead = alive().find((p) => p.proc.exited());
          return dead ? new Error(`${dead.proc.child.spawnargs.join(' ')} exited:\n${dead.err()}`) : null;
        },
      },
    );
  }

  /** `fedaln_uploads_total` from the coordinator's /metrics: updates accepted, each counted once. */
  async uploadsAccepted(): Promise<number> {
    const res = await fetch(`${this.coordinator.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const m = /^fedaln_uploads_total (\d+)$/m.exec(await res.text());
    if (!m) throw new Error('no fedaln_uploads_total in /metrics');
    return Number(m[1]);
  }

  /** Global model `version` of the study, as served, with its sha256. */
  async model(studyId: string, version: number): Promise<{ bytes: Uint8Array; sha256: string }> {
    const bytes = await globalModel(this.coordinator.baseUrl, ADMIN, studyId, version);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /**
   * How round 1 of the study ended: its participants (site, state, n_train), and how far the served
   * model v1 is from FedAvg of the counted updates read back from the coordinator's blob store,
   * computed here in float64 (McMahan et al. 2017, Alg. 1: v1 = v0 + Σ nᵢδᵢ / Σ nᵢ over the uploaded
   * participants), as a fraction of the coordinator's documented error bound: its grid sum is within
   * M·2⁻²⁷ of the exact mean (libs/aggregation/src/grid.ts, "Error"; M the power of two ≥ max(1,
   * max |v0|) of the tensor), then rounded to float32 (half a spacing of the value). ≤ 1 means
   * FedAvg of exactly these updates; one counted twice or left out is off by a fraction of δ, far more.
   */
  async roundOutcome(studyId: string, round = 1) {
    const r = await this.api('GET', `/api/studies/${studyId}/rounds/${round}`);
    const participants = r.json.participants as {
      site_id: string;
      state: string;
      n_train: number | null;
      update_sha256: string | null;
    }[];
    const counted = participants.filter((p) => p.state === 'uploaded');
    const before = decodeBlob((await this.model(studyId, round - 1)).bytes);
    const after = decodeBlob((await this.model(studyId, round)).bytes);
    const deltas = counted.map((p) =>
      decodeBlob(
        fs.readFileSync(
          path.join(this.coordinator.dataDir, 'blobs', p.update_sha256!.slice(0, 2), p.update_sha256!),
        ),
      ),
    );
    return {
      state: r.json.state,
      participants: participants.map((p) => [p.site_id, p.state, p.n_train]).sort(),
      fedAvgError: fedAvgError(
        before,
        deltas,
        counted.map((p) => p.n_train!),
        after,
      ),
    };
  }
}

/** max over values of |v1 − (v0 + Σ nᵢδᵢ / Σ nᵢ)| / (M·2⁻²⁷ + |v1|·2⁻²⁴), in float64 (see roundOutcome). */
function fedAvgError(
  global: readonly NamedTensor[],
  deltas: readonly NamedTensor[][],
  n: readonly number[],
  actual: readonly NamedTensor[],
): number {
  const total = n.reduce((a, b) => a + b, 0);
  let worst = 0;
  for (const t of global) {
    const ds = deltas.map((d) => d.find((x) => x.name === t.name)!.values);
    const a = actual.find((x) => x.name === t.name)?.values;
    if (a?.length !== t.values.length) throw new Error(`model v1 has no tensor ${t.name} of v0's size`);
    const m = 2 ** Math.ceil(Math.log2(t.values.reduce((x, v) => Math.max(x, Math.abs(v)), 1)));
    t.values.forEach((g, i) => {
      let s = 0;
      ds.forEach((d, j) => (s += n[j]! * d[i]!));
      const bound = m * 2 ** -27 + Math.abs(a[i]!) * 2 ** -24;
      worst = Math.max(worst, Math.abs(a[i]! - (g + s / total)) / bound);
    });
  }
  return worst;
}
