/**
 * Issue 16: secure aggregation in the real federation — the built coordinator, 5 scripted sites
 * that run the site client's own session code (apps/site-client/src/run/secure-aggregation.ts:
 * keys → roster → sealed shares → masked input → unmasking answered from memory) over real
 * sockets. One site drops after sending its shares and the round completes with exactly the plain
 * FedAvg (`StreamingFedAvg`, the aggregation every plain study uses) of the 4 survivors' updates;
 * no file the coordinator wrote — blob store, spool, PGlite database — holds any survivor's update
 * unmasked; with 3 survivors answering and t = 4 the round fails with its reason in the rounds API
 * and the coordinator serves on. On the code before the wiring the study itself was refused
 * ("this coordinator does not run secure-aggregation rounds yet"), so every case here failed.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { clippedGridScale, StreamingFedAvg } from '@fedaln/aggregation';
import { decodeBlob, encodeBlob, type NamedTensor, type TaskPayload } from '@fedaln/protocol';
import { gridLayout, gridTerms, layoutRingBits, ringWords, type GridLayout } from '@fedaln/secagg';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecureSessions } from '../../apps/site-client/src/run/secure-aggregation';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { honestDelta, honestReport, useFederation, type Federation } from './support/federation';

jest.setTimeout(300_000);

const NAMES = ['A', 'B', 'C', 'D', 'E'];
/** Approved (and declared) training cases: different weights, so the mean is a weighted one. */
const N_TRAIN = [100, 80, 60, 120, 90];
const SECURE = { threshold: 4, clip_norm: 1 };
/** The five sites' tokens and ids, enrolled by the first test and reused by the others. */
let tokens: string[] = [];
let siteIds: string[] = [];

interface SecureSite {
  readonly site: ScriptedSite;
  readonly sessions: SecureSessions;
  readonly nTrain: number;
}

async function connectAll(f: Federation, tokens: readonly string[]): Promise<SecureSite[]> {
  return Promise.all(
    tokens.map(async (token, i) => {
      const nTrain = N_TRAIN[i] as number;
      const site = await ScriptedSite.connect(f.coordinator.baseUrl, token, { ...HELLO, n_train: nTrain });
      return { site, sessions: new SecureSessions(site.socket), nTrain };
    }),
  );
}

/**
 * All five connected (so all five are in the first round's session), a secure study started with
 * `secure`, and each site's train task and joined session (keys and shares exchanged).
 */
async function secureStudy(f: Federation, secure: object) {
  const sites = await connectAll(f, tokens);
  const studyId = await f.startStudy(siteIds, {
    min_sites: 4,
    round_deadline_s: f.shortDeadlineS(),
    secure_aggregation: secure,
  });
  const tasks = await Promise.all(sites.map((s) => s.site.task('train', 1, f.budget(500), studyId)));
  const joined = await Promise.all(
    sites.map((s, i) => s.sessions.join({ ...tasks[i]!, secure_aggregation: tasks[i]!.secure_aggregation! })),
  );
  return { sites, studyId, tasks, joined };
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Byte runs that would betray an unmasked update if any file held them: 64-byte windows of its f32
 * values (as a plain upload stores them) and of its grid integers (what the masks hide, 8 bytes per
 * weight, as a masked upload would hold them unmasked), taken from the largest tensor.
 */
function fingerprints(
  global: readonly NamedTensor[],
  delta: readonly NamedTensor[],
  nTrain: number,
  layout: GridLayout = gridLayout(global, NAMES.length),
): Buffer[] {
  const k = delta.reduce(
    (best, t, i) => (t.values.length > (delta[best] as NamedTensor).values.length ? i : best),
    0,
  );
  const values = (delta[k] as NamedTensor).values;
  const bits = layoutRingBits(layout);
  const bytes = 4 * ringWords(bits);
  const terms = new Uint32Array(ringWords(bits) * values.length);
  gridTerms(values, nTrain, layout.scales[k] as number, terms, bits);
  const f32 = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const ring = Buffer.from(terms.buffer);
  const at = [0, 0.25, 0.5, 0.75].map((x) => Math.floor((x * values.length) / 16) * 16);
  return [
    ...at.map((i) => f32.subarray(4 * i, 4 * i + 64)),
    ...at.map((i) => ring.subarray(bytes * i, bytes * i + 64)),
  ];
}

function filesHolding(dir: string, needles: readonly Buffer[]): string[] {
  return filesUnder(dir).filter((file) => {
    const bytes = fs.readFileSync(file);
    return needles.some((n) => bytes.includes(n));
  });
}

/** One survivor's round: its update (seeded, |δ| ≤ 5e-4, well inside clip_norm) masked and uploaded. */
async function maskedUpload(
  s: SecureSite,
  task: TaskPayload,
  joined: Awaited<ReturnType<SecureSessions['join']>>,
  seed: number,
) {
  const global = decodeBlob(await s.site.download(task));
  const delta = honestDelta(global, seed);
  const { bytes } = joined.maskedInput(global, delta);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  expectOk(await s.site.upload(task, { bytes, sha256 }, s.nTrain));
  return { global, delta };
}

describe('secure aggregation in the federation (issue 16)', () => {
  const federation = useFederation('secure-aggregation');

  it('one site drops after its shares: the global is plain FedAvg of the 4 survivors, bit for bit; nothing unmasked is stored', async () => {
    const f = federation();
    const enrolled = [];
    for (const [i, name] of NAMES.entries())
      enrolled.push(await f.enrol(`Secure ${name}`, { n_train: N_TRAIN[i] as number, n_test: HELLO.n_test }));
    tokens = enrolled.map((e) => e.token);
    siteIds = enrolled.map((e) => e.id);
    // Every site advertises and shares; E then vanishes before its masked input.
    const { sites, studyId, tasks, joined } = await secureStudy(f, SECURE);
    expect(tasks.map((t) => t.secure_aggregation?.site).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(tasks[0]?.secure_aggregation).toMatchObject({ sites: 5, threshold: 4, shares: 5, clip_norm: 1 });
    sites[4]!.site.close();
    const uploads = [];
    for (let i = 0; i < 4; i++) uploads.push(await maskedUpload(sites[i]!, tasks[i]!, joined[i]!, 60 + i));

    // While the round trains, the masked inputs sit in the blob store (8 bytes per weight), unreadable.
    const global = uploads[0]!.global;
    const needles = uploads.flatMap((u, i) => fingerprints(global, u.delta, N_TRAIN[i] as number));
    expect(filesHolding(f.coordinator.dataDir, needles)).toEqual([]);

    // The deadline passes with 4 ≥ min_sites inputs: the survivors answer the unmasking, the round evaluates.
    await Promise.all(sites.slice(0, 4).map((s, i) => honestReport(s.site, 1, 70 + i)));
    const study = await f.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');
    const round = (await f.api('GET', `/api/studies/${studyId}/rounds/1`)).json;
    expect(round.failure_reason).toBeNull();
    expect(round.participants.map((p: { state: string }) => p.state).sort()).toEqual([
      'straggler',
      'uploaded',
      'uploaded',
      'uploaded',
      'uploaded',
    ]);

    // The reference: StreamingFedAvg of the survivors' updates with their approved weights.
    const fedavg = new StreamingFedAvg(
      global.map(({ name, shape }) => ({ name, shape })),
      {
        global,
        shares: NAMES.length,
      },
    );
    uploads.forEach((u, i) => fedavg.add(u.delta, N_TRAIN[i] as number));
    const expected = encodeBlob(fedavg.applyTo(global)).bytes;
    fedavg.close();
    const res = await fetch(`${f.coordinator.baseUrl}/api/studies/${studyId}/models/1`, {
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    const v1 = Buffer.from(await res.arrayBuffer());
    expect(Buffer.compare(v1, Buffer.from(expected))).toBe(0);

    // Nor afterwards: no file of the coordinator's data directory (blob store, spool, PGlite
    // database) holds a survivor's update, as f32 values or as the grid integers the masks hide.
    expect(filesHolding(f.coordinator.dataDir, needles)).toEqual([]);
    sites.slice(0, 4).forEach((s) => s.site.close());
  });

  it('the scan above finds an update that is stored unmasked (control: a plain study of one site)', async () => {
    const f = federation();
    const site = await f.enrol('Plain');
    const studyId = await f.startStudy([site.id]);
    const s = await ScriptedSite.connect(f.coordinator.baseUrl, site.token);
    const task = await s.task('train', 1, f.budget(500), studyId);
    const global = decodeBlob(await s.download(task));
    const delta = honestDelta(global, 99);
    expectOk(await s.upload(task, encodeBlob(delta), HELLO.n_train));
    const found = filesHolding(f.coordinator.dataDir, fingerprints(global, delta, HELLO.n_train));
    expect(found.some((file) => file.includes(`${path.sep}blobs${path.sep}`))).toBe(true);
    s.close();
  });

  it('3 survivors answer with t = 4: the round fails with the reason in the rounds API; the coordinator serves on', async () => {
    const f = federation();
    const { sites, studyId, tasks, joined } = await secureStudy(f, SECURE);
    sites[4]!.site.close(); // E drops before its input
    for (let i = 0; i < 4; i++) await maskedUpload(sites[i]!, tasks[i]!, joined[i]!, 80 + i);
    sites[3]!.site.close(); // D uploaded, then is gone when the unmasking is asked

    const study = await f.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('failed');
    const round = (await f.api('GET', `/api/studies/${studyId}/rounds/1`)).json;
    expect(round.state).toBe('failed');
    expect(round.failure_reason).toBe(
      'only 3 survivors answered the unmasking, below the threshold 4: the sum cannot be unmasked',
    );
    const listed = (await f.api('GET', `/api/studies/${studyId}/rounds`)).json;
    expect(listed[0]).toMatchObject({ number: 1, state: 'failed', failure_reason: round.failure_reason });
    expect((await fetch(`${f.coordinator.baseUrl}/healthz`)).status).toBe(200);
    expect((await f.api('GET', '/api/sites')).status).toBe(200);
    sites.slice(0, 3).forEach((s) => s.site.close());
  });

  it('ring_bits 32: inputs of 4 bytes per weight; one site drops and the global is StreamingFedAvg on the clipped grid of the 4 survivors, bit for bit; nothing unmasked is stored', async () => {
    const f = federation();
    const { sites, studyId, tasks, joined } = await secureStudy(f, { ...SECURE, ring_bits: 32 });
    // W = 100 + 80 + 60 + 120 + 90 = 450: the session's approved weights, all five sites in it.
    expect(tasks[0]?.secure_aggregation).toMatchObject({ ring_bits: 32, total_weight: 450, clip_norm: 1 });
    sites[4]!.site.close();
    const uploads = [];
    for (let i = 0; i < 4; i++) uploads.push(await maskedUpload(sites[i]!, tasks[i]!, joined[i]!, 90 + i));
    const global = uploads[0]!.global;
    const params = global.reduce((a, t) => a + t.values.length, 0);
    expect(joined[0]!.maskedInput(global, uploads[0]!.delta).bytes.length).toBe(4 * params);
    const clippedLayout = gridLayout(global, NAMES.length, { norm: 1, totalWeight: 450 });
    const needles = uploads.flatMap((u, i) => [
      ...fingerprints(global, u.delta, N_TRAIN[i] as number),
      ...fingerprints(global, u.delta, N_TRAIN[i] as number, clippedLayout),
    ]);
    await Promise.all(sites.slice(0, 4).map((s, i) => honestReport(s.site, 1, 100 + i)));
    const study = await f.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');

    // The reference: StreamingFedAvg given the clipped grid's scale (clip_norm 1, W = 450: 2⁵).
    expect(clippedGridScale(1, 450)).toBe(32);
    const fedavg = new StreamingFedAvg(
      global.map(({ name, shape }) => ({ name, shape })),
      { scale: 32, shares: NAMES.length },
    );
    uploads.forEach((u, i) => fedavg.add(u.delta, N_TRAIN[i] as number));
    const expected = encodeBlob(fedavg.applyTo(global)).bytes;
    fedavg.close();
    const res = await fetch(`${f.coordinator.baseUrl}/api/studies/${studyId}/models/1`, {
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), Buffer.from(expected))).toBe(0);
    expect(filesHolding(f.coordinator.dataDir, needles)).toEqual([]);
    sites.slice(0, 4).forEach((s) => s.site.close());
  });
});
