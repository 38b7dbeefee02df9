/**
 * Issue 13 acceptance, phantom federation: real `fedaln-site run` processes train densenet-tiny on
 * phantom sites (libs/phantom, 32 px). Three honest sites, one whose update is sign-flipped and
 * scaled ×10 (a preload, support/sign-flip-update.js, on the real client) and one training on
 * shuffled labels. With screening on (the default), the released model's pooled AUC over the honest
 * sites' test cases is within 0.02 of the honest-only federation's with the same seeds; the sign-flipped
 * site is rejected in every round's screening and the shuffled-label site is flagged by the
 * data-disagreement test (issue 13), both as the dashboard reads them from the API.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { pooledAuc, type MergedScoreHistograms } from '@fedaln/metrics';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MonitorEvent } from '@fedaln/protocol';
import { connectMonitor } from '../e2e/support/monitor';
import { prng } from '../e2e/support/release-study';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { ADMIN, Federation, withTimeout, type EnrolledSite } from './support/federation';

const ROOT = path.join(__dirname, '../..');
const SITE_BIN = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');
const PHANTOM_BIN = path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js');
const SIGN_FLIP = path.join(__dirname, 'support/sign-flip-update.js');
const CASES = 60;
const ROUNDS = 2;
const HONEST = ['site1', 'site2', 'site3'];
const FLIPPED = 'site4';
const SHUFFLED = 'site5';

// Measured on 2 busy cores: one federation of five sites takes a few minutes.
jest.setTimeout(1_500_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-adversarial-phantom-'));
const phantom = path.join(tmp, 'phantom');

/** labels.csv rows of a site folder, by column name. */
function readLabels(dir: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = fs
    .readFileSync(path.join(dir, 'labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  return { header: header!, rows };
}

/** Shuffles the labels among the site's train cases (Fisher–Yates, seeded); test labels stay true. */
function shuffleTrainLabels(dir: string, seed: number): void {
  const { header, rows } = readLabels(dir);
  const [label, split] = [header.indexOf('aln_metastasis'), header.indexOf('split')];
  const train = rows.filter((r) => r[split] === 'train');
  const labels = train.map((r) => r[label]!);
  const next = prng(seed);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  train.forEach((r, i) => (r[label] = labels[i]!));
  writeLabels(dir, header, rows);
}

function writeLabels(dir: string, header: string[], rows: string[][]): void {
  fs.writeFileSync(path.join(dir, 'labels.csv'), [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
}

/**
 * Moves positives into the test split (swapping split with test negatives) until it has the two
 * per class a site needs to evaluate, so a bad site reports like the others and no round waits for
 * its evaluation deadline. Only the bad sites are changed: the honest sites' data is the same in
 * both federations.
 */
function ensureEvaluable(dir: string): void {
  const { header, rows } = readLabels(dir);
  const [label, split] = [header.indexOf('aln_metastasis'), header.indexOf('split')];
  const count = (s: string, y: string) => rows.filter((r) => r[split] === s && r[label] === y).length;
  for (const y of ['0', '1']) {
    while (count('test', y) < 2) {
      const into = rows.find((r) => r[split] === 'train' && r[label] === y)!;
      const out = rows.find((r) => r[split] === 'test' && r[label] !== y && count('test', r[label]!) > 2)!;
      [into[split], out[split]] = ['test', 'train'];
    }
  }
  writeLabels(dir, header, rows);
}

/** The site's counts as the lead approves them: its labels.csv split. */
function casesOf(dir: string): { n_train: number; n_test: number } {
  const { header, rows } = readLabels(dir);
  const split = header.indexOf('split');
  const n = (s: string) => rows.filter((r) => r[split] === s).length;
  return { n_train: n('train'), n_test: n('test') };
}

interface SiteRun {
  child: ChildProcess;
  log: () => string;
  exit: Promise<number | null>;
}

/** `fedaln-site run` for phantom `site`; its log goes to `<work>.log` as it is written. */
function runSite(site: string, url: string, token: string, work: string): SiteRun {
  fs.mkdirSync(path.dirname(work), { recursive: true });
  const logFile = fs.openSync(`${work}.log`, 'w');
  const preload = site === FLIPPED ? ['--require', SIGN_FLIP] : [];
  const child = spawn(
    process.execPath,
    [
      ...preload,
      SITE_BIN,
      'run',
      ...['--coordinator', url, '--data', path.join(phantom, site), '--work-dir', work],
      ...['--arch', 'densenet-tiny', '--input-size', '32', '--engine', 'auto'],
    ],
    { env: { ...process.env, FEDALN_SITE_TOKEN: token }, stdio: ['ignore', 'ignore', logFile] },
  );
  fs.closeSync(logFile);
  return {
    child,
    log: () => fs.readFileSync(`${work}.log`, 'utf8'),
    exit: new Promise((r) => child.on('exit', (code) => r(code))),
  };
}

interface SiteScreening {
  site_id: string;
  screening: { verdict: string; reason: string; cosine: number | null; norm: number | null } | null;
}

interface SiteDisagreement {
  site_id: string;
  statistic: number | null;
  p: number | null;
  threshold: number;
  flagged: boolean;
}

interface FederationResult {
  /** Pooled AUC over the honest sites' test cases of the released round's model. */
  honestPooledAuc: number;
  /** Per site name: its data-disagreement test (the feature model's site score test), as the metrics API gives it. */
  disagreement: Record<string, SiteDisagreement>;
  /** Per round, per site name: the screening verdict and its numbers. */
  screening: Record<string, SiteScreening['screening']>[];
  seconds: number;
}

/** One federation of `sites` to completion; its last round is released. */
async function federate(label: string, sites: string[], roundDeadlineS = 600): Promise<FederationResult> {
  const t0 = performance.now();
  const federation = await Federation.start(`phantom-${label}`);
  const runs: SiteRun[] = [];
  try {
    const enrolled: EnrolledSite[] = [];
    for (const site of sites) enrolled.push(await federation.enrol(site, casesOf(path.join(phantom, site))));
    const names = new Map(enrolled.map((e, i) => [e.id, sites[i]!]));
    const spec = exampleStudySpec(
      enrolled.map((s) => s.id),
      {
        name: `phantom ${label}`,
        rounds: ROUNDS,
        // The honest sites are the quorum: screening may refuse the others without stalling a round.
        min_sites: HONEST.length,
        batch_size: 8,
        learning_rate: 0.005,
        seed: 13,
        round_deadline_s: roundDeadlineS,
        data_source: 'phantom',
        // 12 test cases a site: k = 5 would pool nearly every case as a tie; phantom data, so k = 1.
        privacy: { min_cell_count: 1, override_reason: 'phantom data, no patients: compares pooled AUCs' },
        release_policy: {
          min_site_auc: 0,
          min_pooled_auc: 0,
          dca_range: [0.2, 0.5],
          min_sites_passing: 'all',
        },
      },
    );
    const studyId = await federation.createStudy(spec.sites as string[], { ...spec });
    // Every site says hello before the study starts, so round 1 assigns all of them, not the first quorum.
    const monitor = await connectMonitor(federation.coordinator.baseUrl, ADMIN);
    const present = new Set<string>();
    const allPresent = new Promise<void>((resolve) =>
      monitor.on(MonitorEvent.siteStatus, (e) => {
        if (e.connected) present.add(e.site_id);
        if (present.size === sites.length) resolve();
      }),
    );
    sites.forEach((site, i) =>
      runs.push(
        runSite(site, federation.coordinator.baseUrl, enrolled[i]!.token, path.join(tmp, label, site)),
      ),
    );
    await withTimeout(allPresent, 60_000 + federation.budget(1_000), 'hello from every site');
    monitor.close();
    await federation.start(studyId);
    const study = await federation.waitForStudy(
      studyId,
      (s) => {
        const exited = runs.find((r) => r.child.exitCode !== null);
        if (exited) throw new Error(`a site exited early:\n${exited.log()}`);
        return s.status !== 'running';
      },
      1_000_000,
    );
    expect(study.status).toBe('completed');

    const screening: FederationResult['screening'] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      const round = (await federation.api('GET', `/api/studies/${studyId}/rounds/${n}`)).json;
      screening.push(
        Object.fromEntries(
          (round.participants as SiteScreening[]).map((p) => [names.get(p.site_id)!, p.screening]),
        ),
      );
    }
    const metrics = await federation.api('GET', `/api/studies/${studyId}/rounds/${ROUNDS}/metrics`);
    expect(metrics.status).toBe(200);
    const reports = metrics.json.sites as {
      site_id: string;
      report: { score_histograms: MergedScoreHistograms; auc: number | null };
    }[];
    const honest = reports.filter((r) => HONEST.includes(names.get(r.site_id)!));
    expect(honest).toHaveLength(HONEST.length);
    const released = await federation.api('POST', `/api/studies/${studyId}/releases`, {
      round: ROUNDS,
      override_reason: 'adversarial phantom federation: released to compare pooled AUCs',
    });
    expect([201, 409]).toContain(released.status);
    if (released.status === 409) {
      expect(
        (await federation.api('POST', `/api/studies/${studyId}/releases`, { round: ROUNDS })).status,
      ).toBe(201);
    }
    const honestPooledAuc = pooledAuc(
      honest.map((r) => r.report.score_histograms),
      honest.map((r) => r.report.auc),
    ).auc!;
    const disagreement = Object.fromEntries(
      (metrics.json.data_disagreement as SiteDisagreement[]).map((d) => [names.get(d.site_id)!, d]),
    );
    return { honestPooledAuc, disagreement, screening, seconds: (performance.now() - t0) / 1000 };
  } finally {
    runs.forEach((r) => r.child.exitCode === null && r.child.kill('SIGTERM'));
    await Promise.all(runs.map((r) => r.exit));
    await federation.stop();
  }
}

describe('phantom federation with a sign-flipped ×10 site and a shuffled-label site (issue 13)', () => {
  let honestOnly: FederationResult;
  let attacked: FederationResult;
  // Site logs are in the error of a site that exits early; the figures are logged below.
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(async () => {
    const gen = spawnSync(process.execPath, [
      PHANTOM_BIN,
      ...['--sites', '5', '--cases', String(CASES), '--size', '32', '--seed', '11', '--out', phantom],
    ]);
    expect(gen.status).toBe(0);
    for (const bad of [FLIPPED, SHUFFLED]) ensureEvaluable(path.join(phantom, bad));
    shuffleTrainLabels(path.join(phantom, SHUFFLED), 5);

    honestOnly = await federate('honest', HONEST);
    // A round of five sites trains 5/3 as long as one of three; four times that bounds a round.
    const perRound = (honestOnly.seconds / ROUNDS) * (5 / 3);
    attacked = await federate(
      'attacked',
      [...HONEST, FLIPPED, SHUFFLED],
      Math.max(60, Math.ceil(4 * perRound)),
    );
    console.log(
      JSON.stringify({
        honest_only: { pooled_auc: honestOnly.honestPooledAuc, seconds: honestOnly.seconds },
        attacked: {
          pooled_auc: attacked.honestPooledAuc,
          seconds: attacked.seconds,
          screening: attacked.screening,
          disagreement: attacked.disagreement,
        },
        honest_only_disagreement: honestOnly.disagreement,
      }),
    );
  });

  it('the sign-flipped ×10 site is flagged in every round, and the released pooled AUC is within 0.02 of the honest-only one', () => {
    for (const round of attacked.screening) {
      expect(round[FLIPPED]?.verdict).toBe('rejected');
      for (const site of HONEST) expect(round[site]?.verdict).toBe('accepted');
    }
    expect(Math.abs(attacked.honestPooledAuc - honestOnly.honestPooledAuc)).toBeLessThanOrEqual(0.02);
  });

  it('the shuffled-label site is flagged by the data-disagreement test, and no honest site is', () => {
    // bench/site-disagreement.ts: at 60 cases a site the test catches 63 of 100 shuffled sites; this
    // one (phantom seed 11, Fisher–Yates seed 5) measured χ² 23.9 on 4 df, p 8.4e-5 < 0.05 / 5; the
    // others, tested again without it (step-down), p 0.50–0.87 (0.45–0.67 in the honest-only
    // federation, threshold 0.05 / 3).
    expect(attacked.disagreement[SHUFFLED]?.flagged).toBe(true);
    for (const site of [...HONEST, FLIPPED]) expect(attacked.disagreement[site]?.flagged).toBe(false);
    expect(Object.keys(honestOnly.disagreement).sort()).toEqual(HONEST);
    for (const site of HONEST) expect(honestOnly.disagreement[site]?.flagged).toBe(false);
  });
});
