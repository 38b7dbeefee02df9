/**
 * A study with patient-level DP end to end (issue 16): the built coordinator and two built
 * `fedaln-site run` processes on phantom data (40 cases per site at 32 px, densenet-tiny) train with
 * DP-SGD (σ 1, C 1, q 0.25: 4 steps a round). The budget fits two rounds, not three: round 3 is
 * refused with the reason, the study completes after round 2, and the rounds API shows ε per site per
 * round equal to the accountant's (@fedaln/privacy) for the study's σ, q and steps.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { dpSgdEpsilon } from '@fedaln/privacy';
import { decodeBlob } from '@fedaln/protocol';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { adminApi, Coordinator, freePort, globalModel } from './support/coordinator';
import { siteProcess, type SiteProcess } from './support/site-process';
import { waitUntil } from './support/processes';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '../..');
const ADMIN = 'e2e-dp-study-admin-token-0123456789';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-dp-'));
const phantom = path.join(tmp, 'phantom');
const SIGMA = 1;
const Q = 0.25;
const STEPS = 4; // ⌈local_epochs 1 / q 0.25⌉
const epsilonAt = (steps: number) =>
  dpSgdEpsilon({ noiseMultiplier: SIGMA, samplingRate: Q, steps }, 1e-5).epsilon;
let coordinator: Coordinator;
const api = (method: string, url: string, body?: unknown) =>
  adminApi(coordinator.baseUrl, ADMIN, method, url, body);

describe('a DP-SGD study', () => {
  const sites: SiteProcess[] = [];

  beforeAll(async () => {
    const gen = spawnSync(process.execPath, [
      path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js'),
      ...['--sites', '2', '--cases', '40', '--size', '32', '--seed', '11', '--out', phantom],
    ]);
    expect(gen.status).toBe(0);
    coordinator = new Coordinator(await freePort(), path.join(tmp, 'coordinator'), {
      FEDALN_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: '',
    });
    await coordinator.start();
  });

  afterAll(async () => {
    for (const s of sites) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(sites.map((s) => s.exit));
    await coordinator?.kill('SIGTERM');
  });

  it('trains with DP-SGD, shows the accountant’s ε per round and refuses the round past the budget', async () => {
    const ids: string[] = [];
    const tokens: string[] = [];
    for (const name of ['DP site 1', 'DP site 2']) {
      const r = await api('POST', '/api/sites', { name, n_train: 32, n_test: 8 });
      expect(r.status).toBe(201);
      ids.push(String(r.json.id));
      tokens.push(String(r.json.enrolment_token));
    }
    // Two rounds (8 steps) fit, three (12) do not.
    const maxEpsilon = (epsilonAt(2 * STEPS) + epsilonAt(3 * STEPS)) / 2;
    const dp = {
      noise_multiplier: SIGMA,
      clip_norm: 1,
      sampling_rate: Q,
      max_epsilon: maxEpsilon,
      delta: 1e-5,
    };
    const created = await api(
      'POST',
      '/api/studies',
      exampleStudySpec(ids, { name: 'dp e2e', rounds: 3, dp, data_source: 'phantom' }),
    );
    expect(created.status).toBe(201);
    const studyId = String(created.json.id);
    expect((await api('POST', `/api/studies/${studyId}/start`)).status).toBeLessThan(300);
    tokens.forEach((token, i) =>
      sites.push(
        siteProcess(
          [
            'run',
            ...['--coordinator', coordinator.baseUrl, '--token', token],
            ...['--data', path.join(phantom, `site${i + 1}`), '--work-dir', path.join(tmp, `work${i + 1}`)],
            ...['--arch', 'densenet-tiny', '--input-size', '32'],
          ],
          tmp,
        ),
      ),
    );
    await waitUntil('the study to complete', async () => {
      const study = await api('GET', `/api/studies/${studyId}`);
      if (study.json.status === 'failed') throw new Error(`study failed: ${JSON.stringify(study.json)}`);
      return study.json.status === 'completed';
    });
    sites.forEach((s, k) => fs.writeFileSync(path.join(tmp, `site${k + 1}.log`), s.err()));

    for (const s of sites) {
      expect(s.err()).toContain(
        `round 1: DP-SGD, ${STEPS} steps at sampling rate ${Q}, clip norm 1, noise multiplier ${SIGMA}`,
      );
      expect(s.err()).toContain('round 2: DP-SGD');
      expect(s.err()).not.toContain('round 3: DP-SGD');
    }
    const study = await api('GET', `/api/studies/${studyId}`);
    expect(study.json.current_round).toBe(2);
    type RoundJson = { number: number; attempt: number; privacy: Record<string, unknown> };
    const rounds = (await api('GET', `/api/studies/${studyId}/rounds`)).json as unknown as RoundJson[];
    expect(rounds.map((r) => r.number)).toEqual([1, 2]);
    for (const [i, r] of rounds.entries()) {
      expect(r.attempt).toBe(1);
      const steps = (i + 1) * STEPS;
      expect(r.privacy).toMatchObject({ steps, noise_added: true, delta: 1e-5, max_epsilon: maxEpsilon });
      // The coordinator's accountant at the study's σ, q and steps, to 1e-12 relative.
      expect(Math.abs((r.privacy.epsilon as number) / epsilonAt(steps) - 1)).toBeLessThan(1e-12);
      const perSite = r.privacy.sites as { site_id: string; epsilon: number }[];
      expect(perSite.map((s) => s.site_id).sort()).toEqual([...ids].sort());
      for (const s of perSite) expect(s.epsilon).toBe(r.privacy.epsilon);
    }
    const one = await api('GET', `/api/studies/${studyId}/rounds/2`);
    expect(one.json.privacy).toEqual(rounds[1]!.privacy);
    expect((await api('GET', `/api/studies/${studyId}/rounds/3`)).status).toBe(404);
    // The refusal with its reason, as the coordinator logs it (the audit entry is checked in tests/medium).
    const spent = coordinator.log
      .split('\n')
      .filter((line) => line.includes('privacy budget spent'))
      .map((line) => JSON.parse(line) as { studyId: string; reason: string });
    expect(spent.map((e) => e.studyId)).toEqual([studyId]);
    expect(spent[0]!.reason).toBe(
      `round 3 refused: it would take ε from ${epsilonAt(2 * STEPS).toFixed(3)} to ${epsilonAt(3 * STEPS).toFixed(3)}, above dp.max_epsilon ${maxEpsilon} at δ 0.00001`,
    );

    // DP-SGD ran at the sites: it leaves BatchNorm untrained and its statistics as they were, so every
    // BatchNorm tensor of the round-2 global equals the initial model's (plain training changes them).
    const model = async (version: number) =>
      decodeBlob(await globalModel(coordinator.baseUrl, ADMIN, studyId, version));
    const [initial, second] = [await model(0), await model(2)];
    const batchNorm = initial.filter((t) => /(^|_)bn\//.test(t.name));
    expect(batchNorm.length).toBeGreaterThan(0);
    for (const t of batchNorm)
      expect({
        name: t.name,
        same: second.find((u) => u.name === t.name)!.values.every((v, i) => v === t.values[i]),
      }).toEqual({ name: t.name, same: true });
    expect(initial.some((t, i) => second[i]!.values.some((v, j) => v !== t.values[j]))).toBe(true);

    // The release of round 2: its model card prints the ε the release cost (phantom AUCs may fail the
    // policy, so the lead overrides with a reason when asked to).
    const url = `/api/studies/${studyId}/releases`;
    let made = await api('POST', url, { round: 2 });
    if (made.status !== 201)
      made = await api('POST', url, { round: 2, override_reason: 'dp e2e: phantom data, checking the card' });
    expect(made.status).toBe(201);
    const card = await api('GET', `/api/releases/${String(made.json.version)}/card.json`);
    expect(card.json.privacy).toMatchObject({
      epsilon: rounds[1]!.privacy.epsilon,
      steps: 2 * STEPS,
      noise_added: true,
      noise_multiplier: SIGMA,
      sampling_rate: Q,
    });
    const html = await fetch(`${coordinator.baseUrl}/api/releases/${String(made.json.version)}/card.html`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(await html.text()).toContain(
      `<strong>ε = ${(rounds[1]!.privacy.epsilon as number).toFixed(3)}</strong> at δ = 0.00001`,
    );
  });
});
