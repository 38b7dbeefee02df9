/**
 * Model selection and the combined nomogram in the real federation (issue 15; README "Model selection,
 * recalibration and the combined nomogram"): the built coordinator and two built `fedaln-site run
 * --once` processes on phantom data (60 cases per site at 32 px, densenet-tiny, 3 rounds, a quarter of
 * each site's train cases held out for validation). The sites stay for the post-training fits and
 * exit on `study:finished`; the release candidate is the round with the best pooled validation AUC;
 * its release signs and serves `nomogram.json`; `pull` writes it beside the model and `predict
 * --labels` prints the DL, recalibrated and combined probabilities.
 *
 * The post-training phase survives coordinator crashes (`FEDALN_CRASH_AT`, crash-point.ts): the
 * coordinator SIGKILLs itself when the phase starts (training over, nothing fitted), is restarted and
 * SIGKILLs itself again once the nomogram is stored (the comparison not yet made), and is restarted
 * again; the waiting `--once` sites reconnect, the fits run again (the stored nomogram kept), and the
 * sites are told the study is finished.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMBINED_MODEL_TERMS } from '@fedaln/metrics';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { adminApi, Coordinator, crashLine, freePort } from './support/coordinator';
import { SITE_BIN, siteProcess, type SiteProcess } from './support/site-process';

jest.setTimeout(400_000);

const ROOT = path.join(__dirname, '../..');
const ADMIN = 'e2e-nomogram-admin-token-0123456789';
const ROUNDS = 3;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-nomogram-'));
const phantom = path.join(tmp, 'phantom');
let coordinator: Coordinator;
const api = (method: string, url: string, body?: unknown) =>
  adminApi(coordinator.baseUrl, ADMIN, method, url, body);

describe('model selection and the nomogram in the federation', () => {
  const sites: SiteProcess[] = [];
  const ids: string[] = [];
  const tokens: string[] = [];

  beforeAll(async () => {
    const gen = spawnSync(process.execPath, [
      path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
      ...['--sites', '2', '--cases', '60', '--size', '32', '--seed', '23', '--out', phantom],
    ]);
    expect(gen.status).toBe(0);
    coordinator = new Coordinator(await freePort(), path.join(tmp, 'coordinator'), {
      FEDALN_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: '',
    });
    expect(await coordinator.startArmed('nomogram:started', 180_000)).toBe('listening');
    for (const name of ['nomogram site 1', 'nomogram site 2']) {
      const r = await api('POST', '/api/sites', { name, n_train: 48, n_test: 12 });
      expect(r.status).toBe(201);
      ids.push(String(r.json.id));
      tokens.push(String(r.json.enrolment_token));
    }
  });

  afterAll(async () => {
    sites.forEach((s, k) => fs.writeFileSync(path.join(tmp, `site${k + 1}.log`), s.err()));
    for (const s of sites) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(sites.map((s) => s.exit));
    await coordinator?.kill('SIGTERM');
  });

  it('selects the best-validation round, fits and releases the nomogram, and predict gives three probabilities', async () => {
    const spec = exampleStudySpec(ids, {
      name: 'nomogram e2e',
      rounds: ROUNDS,
      batch_size: 8,
      learning_rate: 0.005,
      data_source: 'phantom',
      validation_fraction: 0.25,
      privacy: { min_cell_count: 1, override_reason: 'phantom data, no patients: small validation splits' },
      release_policy: { min_site_auc: 0, min_pooled_auc: 0, dca_range: [0.2, 0.5], min_sites_passing: 'all' },
    });
    const created = await api('POST', '/api/studies', spec);
    expect(created.status).toBe(201);
    const studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);
    tokens.forEach((token, i) =>
      sites.push(
        siteProcess(
          [
            'run',
            '--once',
            ...['--coordinator', coordinator.baseUrl, '--token', token],
            ...['--data', path.join(phantom, `site${i + 1}`), '--work-dir', path.join(tmp, `work${i + 1}`)],
            ...['--arch', 'densenet-tiny', '--input-size', '32'],
          ],
          tmp,
        ),
      ),
    );
    // The phase starts after the last round, and the coordinator dies there; restarted, it dies again
    // once the nomogram is stored; restarted again, it makes the comparison and tells the sites.
    const logs: string[] = [];
    for (const [point, next] of [
      ['nomogram:started', 'nomogram:stored'],
      ['nomogram:stored', null],
    ] as const) {
      const proc = coordinator.process!;
      await proc.waitForOutput(crashLine(point), 300_000, 'out');
      expect(await proc.exit).toEqual({ code: null, signal: 'SIGKILL' });
      logs.push(proc.out());
      if (next) expect(await coordinator.startArmed(next, 180_000)).toBe('listening');
      else await coordinator.start(180_000);
    }
    // --once: each site stays after the last round until the post-training fits tell it the study is over.
    expect(await Promise.all(sites.map((s) => s.exit))).toEqual([0, 0]);
    expect(logs[0]).not.toMatch(/nomogram fitted for round/);
    expect(logs[1]).toMatch(/did not finish before the restart/);
    // The second run fitted and stored the nomogram: it reached the point right after the store. (Its
    // "nomogram fitted" log line is not asserted: the logger writes asynchronously, and a SIGKILL right
    // after the line lost it in a clean-clone CI run under a CPU hog.)
    expect(logs[1]).toContain(crashLine('nomogram:stored'));
    expect(coordinator.log).toMatch(/running the post-training fits again after the restart/);
    expect(coordinator.log).not.toMatch(/nomogram fitted for round/); // kept: a release may sign its hash
    expect(coordinator.log).toMatch(/model comparison for round \d over 2 site/);
    for (const s of sites) expect(s.err()).toMatch(/disconnected .*; reconnecting in/);
    for (const s of sites) {
      expect(s.err()).toMatch(/waiting for the coordinator's post-training fits \(--once\)/);
      expect(s.err()).toMatch(/study [\w-]+ finished; nomogram fitted for round \d/);
      expect(s.err()).toMatch(/train cases held out for validation/);
    }

    // The candidate is the round whose pooled validation AUC is highest (the earliest of ties).
    const pooled: number[] = [];
    for (let n = 1; n <= ROUNDS; n++) {
      const m = await api('GET', `/api/studies/${studyId}/rounds/${n}/metrics`);
      expect(m.status).toBe(200);
      const v = m.json.pooled_validation as { auc: number | null; n: number } | null;
      expect(v?.n).toBeGreaterThan(0);
      pooled.push(v!.auc!);
    }
    const best = pooled.indexOf(Math.max(...pooled)) + 1;
    const candidate = await api('GET', `/api/studies/${studyId}/release-candidate`);
    expect(candidate.status).toBe(200);
    expect(candidate.json).toMatchObject({ round: best, rule: 'best_validation_auc' });
    expect(candidate.json.pooled_validation_auc).toBeCloseTo(pooled[best - 1]!, 12);

    // Its release signs nomogram.json's sha256 and serves the text.
    // Three rounds on 48 train cases need not beat treat-all on the policy's range: then the lead overrides.
    let release = await api('POST', `/api/studies/${studyId}/releases`, { round: best });
    if (release.status === 409)
      release = await api('POST', `/api/studies/${studyId}/releases`, {
        round: best,
        override_reason: 'phantom e2e: the release path is under test, not the model',
      });
    expect(release.status).toBe(201);
    const version = Number(release.json.version);
    const signed = await api('GET', `/api/releases/${version}/manifest.json`);
    const manifest = JSON.parse(String(signed.json.manifest)) as { nomogram_sha256?: string; round: number };
    expect(manifest.round).toBe(best);
    const res = await fetch(`${coordinator.baseUrl}/api/releases/${version}/nomogram.json`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(createHash('sha256').update(text).digest('hex')).toBe(manifest.nomogram_sha256);
    const nomogram = JSON.parse(text);
    expect(nomogram).toMatchObject({
      round: best,
      fitted_on: { platt: [...ids].sort(), combined: [...ids].sort() },
    });
    expect(nomogram.combined.covariates).toEqual([...COMBINED_MODEL_TERMS]);

    // The card compares DL, four features and combined on both sites' test splits (nomogram:compare):
    // each site's DL AUC there is its released test report's AUC of the same round (same cases, same scores).
    const card = await api('GET', `/api/releases/${version}/card.json`);
    expect(card.status).toBe(200);
    const comparison = card.json.comparison as {
      pooled: { sites: number; differences: { a: string; b: string; p: number }[] } | null;
      sites: { site_id: string; comparison: { models: { dl: { auc: number } } } | null }[];
      left_out: unknown[];
    };
    expect(comparison.left_out).toEqual([]);
    expect(comparison.sites.map((s) => s.site_id).sort()).toEqual([...ids].sort());
    expect(comparison.pooled!.sites).toBe(2);
    expect(comparison.pooled!.differences.map((d) => `${d.a}-${d.b}`)).toEqual([
      'combined-features',
      'dl-features',
      'combined-dl',
    ]);
    const cardSites = card.json.sites as { site_id: string; auc: number }[];
    for (const s of comparison.sites)
      expect(s.comparison!.models.dl.auc).toBeCloseTo(
        cardSites.find((c) => c.site_id === s.site_id)!.auc,
        12,
      );

    // A site pulls it (nomogram.json beside the model) and predicts three probabilities per image.
    const site = (args: string[]) =>
      spawnSync(process.execPath, [SITE_BIN, ...args], {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, FEDALN_SITE_TOKEN: tokens[0] },
      });
    const out = path.join(tmp, 'model');
    const work = path.join(tmp, 'pull-work');
    const pulled = site(
      ['pull', '--coordinator', coordinator.baseUrl, '--study', studyId, '--release', String(version)].concat(
        ['--out', out, '--work-dir', work],
      ),
    );
    expect(pulled.stderr + pulled.stdout).toMatch(/nomogram\.json .* verified and written beside the model/);
    expect(pulled.status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'nomogram.json'), 'utf8')).toBe(text);
    const labels = path.join(phantom, 'site2', 'labels.csv');
    const images = fs
      .readFileSync(labels, 'utf8')
      .trim()
      .split('\n')
      .slice(1, 4)
      .map((line) => path.join(phantom, 'site2', line.split(',')[1]!));
    const predicted = site(['predict', '--model', out, '--work-dir', work, '--labels', labels, ...images]);
    expect(predicted.status).toBe(0);
    const [header, ...rows] = predicted.stdout.trim().split('\n');
    expect(header).toBe('image,probability,recalibrated,combined');
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const [, ...p] = row.split(',').map(Number);
      expect(p).toHaveLength(3);
      for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
    }
  });
});
