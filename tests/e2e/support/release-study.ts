/**
 * A finished study without training, for the release e2e and browser tests: the built coordinator,
 * scripted socket.io sites (`ScriptedSite`) that upload synthetic deltas and report metrics built
 * with `@fedaln/metrics` from seeded synthetic predictions, round after round until the study is
 * completed.
 */
import { releasedReport } from '@fedaln/metrics';
import { decodeBlob, encodeBlob, type SiteMetricsReport } from '@fedaln/protocol';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Coordinator, freePort } from './coordinator';
import { expectOk, ScriptedSite } from './site-client';
import { waitUntil } from './processes';

export const ADMIN = 'e2e-release-admin-token-0123456789';

/** Park–Miller minimal standard generator. */
export function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/**
 * Seeded predictions of one site: labels with prevalence ≈ 0.4, scores = logistic(separation·(2y−1)
 * + N(0, 1)) (Box–Muller), so a larger separation gives a higher AUC.
 */
export function syntheticPredictions(seed: number, n: number, separation: number) {
  const next = prng(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = next() < 0.4 ? 1 : 0;
    const z = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    labels.push(y);
    scores.push(1 / (1 + Math.exp(-(separation * (2 * y - 1) + z))));
  }
  return { labels, scores };
}

/** The site's metrics report, as the site client builds it (`releasedReport`: the privacy rule, k = 5). */
export function reportOf(labels: number[], scores: number[]): SiteMetricsReport {
  return releasedReport({ labels, scores });
}

export interface SiteSetup {
  readonly name: string;
  readonly nTrain: number;
  readonly nTest: number;
  /** Per round: separation of the synthetic scores (AUC grows with it). */
  readonly separation: (round: number) => number;
  /** Per round: a factor on the site's synthetic update (default 1; 10 makes screening flag it). */
  readonly deltaScale?: (round: number) => number;
}

/** A response body parsed as JSON where it is JSON (else its text); tests read it loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the tests' expectations
export type ApiResult = { status: number; json: any };

export interface ReleaseStudy {
  readonly coordinator: Coordinator;
  readonly studyId: string;
  readonly siteIds: string[];
  readonly tokens: string[];
  /** Per round, per site: the predictions behind its report. */
  readonly predictions: { labels: number[]; scores: number[] }[][];
  api(method: string, url: string, body?: unknown, token?: string): Promise<ApiResult>;
  stop(): Promise<void>;
}

/**
 * Starts a coordinator (or uses the one of `on`, for a second study beside the first), enrols the
 * sites, creates and starts the study, and runs all its rounds.
 */
export async function runReleaseStudy(options: {
  readonly name: string;
  readonly rounds: number;
  readonly sites: readonly SiteSetup[];
  readonly policy: Record<string, unknown>;
  readonly on?: ReleaseStudy;
}): Promise<ReleaseStudy> {
  const dataDir =
    options.on?.coordinator.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-release-'));
  const coordinator =
    options.on?.coordinator ??
    new Coordinator(await freePort(), dataDir, {
      FEDALN_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: '',
    });
  if (!options.on) await coordinator.start();
  const api = async (method: string, url: string, body?: unknown, token = ADMIN) => {
    const res = await fetch(coordinator.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: ApiResult['json'] = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (HTML, binary): keep the text
    }
    return { status: res.status, json };
  };
  const siteIds: string[] = [];
  const tokens: string[] = [];
  for (const s of options.sites) {
    const r = await api('POST', '/api/sites', { name: s.name, n_train: s.nTrain, n_test: s.nTest });
    if (r.status !== 201) throw new Error(`enrolling ${s.name}: ${r.status} ${JSON.stringify(r.json)}`);
    siteIds.push(String(r.json.id));
    tokens.push(String(r.json.enrolment_token));
  }
  const created = await api('POST', '/api/studies', {
    name: options.name,
    arch: 'densenet-tiny',
    input_size: 32,
    init_weights: 'random',
    rounds: options.rounds,
    local_epochs: 1,
    batch_size: 4,
    learning_rate: 0.001,
    min_sites: options.sites.length,
    round_deadline_s: 600,
    sites: siteIds,
    release_policy: options.policy,
  });
  if (created.status !== 201) throw new Error(`creating the study: ${JSON.stringify(created.json)}`);
  const studyId = String(created.json.id);
  const sites = await Promise.all(tokens.map((t) => ScriptedSite.connect(coordinator.baseUrl, t)));
  await api('POST', `/api/studies/${studyId}/start`);
  const predictions: ReleaseStudy['predictions'] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const tasks = await Promise.all(sites.map((s) => s.task('train', round)));
    const global = decodeBlob(await sites[0]!.download(tasks[0]!));
    const next = prng(round);
    for (const [i, s] of sites.entries()) {
      const scale = options.sites[i]!.deltaScale?.(round) ?? 1;
      const delta = global.map((t) => ({
        name: t.name,
        shape: t.shape,
        values: Float32Array.from(t.values, () => ((next() - 0.5) / 1000) * scale),
      }));
      const ack = await s.upload(tasks[i]!, encodeBlob(delta), options.sites[i]!.nTrain);
      if (!ack.ok) throw new Error(`upload: ${ack.code}: ${ack.message}`);
    }
    const evals = await Promise.all(sites.map((s) => s.task('evaluate', round)));
    const roundPredictions = options.sites.map((s, i) =>
      syntheticPredictions(100 * round + i + 1, s.nTest, s.separation(round)),
    );
    predictions.push(roundPredictions);
    for (const [i, s] of sites.entries()) {
      const p = roundPredictions[i]!;
      expectOk(await s.report(evals[i]!, reportOf(p.labels, p.scores)));
    }
    await waitUntil(
      `round ${round} to complete`,
      async () => (await api('GET', `/api/studies/${studyId}/rounds/${round}`)).json.state === 'completed',
      { intervalMs: 100 },
    );
  }
  for (const s of sites) s.close();
  return {
    coordinator,
    studyId,
    siteIds,
    tokens,
    predictions,
    api,
    stop: async () => {
      if (options.on) return; // the first study's stop() ends the shared coordinator
      await coordinator.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
