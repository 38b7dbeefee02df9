import { describe, expect, it } from '@jest/globals';
import { clippedGridScale, StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import {
  encodeBlob,
  type Ack,
  type HelloPayload,
  type SecAggDeliverPayload,
  type SecAggRosterPayload,
  type SecAggUnmaskAccepted,
  type SecAggUnmaskRequest,
  type SecureAggregationTask,
} from '@fedaln/protocol';
import { elementToBytes, gridLayout, P521_BYTES, SecAggSite } from '@fedaln/secagg';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  changeOf,
  HELLO,
  inMemoryCoordinator,
  recordingSession,
  seedRound,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import { BlobCache } from '../blobs/blob-cache';
import { FileBlobStore } from '../blobs/blob-store';
import type { Study } from '../domain/records';
import { SecureAggregationService } from './secure-aggregation.service';
import { SecureSessionLost } from './secure-session-lost';

// Reference: plain FedAvg of the survivors, StreamingFedAvg of libs/aggregation (the aggregation
// every non-secure study uses) — the new global must be its bytes exactly (same sha256).
const dir = temporaryDir('secure-aggregation');
const SITES = ['a', 'b', 'c', 'd', 'e'];
const SAMPLES: Readonly<Record<string, number>> = { a: 120, b: 80, c: 3, d: 150, e: 47 };
const tensors = [
  { name: 'conv/kernel', shape: [7, 3] },
  { name: 'dense/kernel', shape: [300] },
];
const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);
/** A global whose dense/kernel has max |g| = 1.5 (grid scale 2), the rest 0.1. */
const GLOBAL: WeightTensor[] = tensors.map((t, k) => ({
  ...t,
  values: Float32Array.from({ length: size(t.shape) }, (_, i) => (k === 1 && i === 0 ? 1.5 : 0.1)),
}));

/** Seeded deltas in ±scale (an LCG per site), so every site's update differs. */
function update(siteId: string, scale = 0.001): WeightTensor[] {
  let s = (siteId.charCodeAt(0) * 2654435761) >>> 0;
  return tensors.map((t) => ({
    ...t,
    values: Float32Array.from({ length: size(t.shape) }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32 - 0.5) * 2 * scale;
    }),
  }));
}

/** `scale`: the clipped grid's one scale (32-bit ring), as a plain study on that grid would fold. */
function plainFedAvg(siteIds: readonly string[], scale?: number): Uint8Array {
  const fedavg = new StreamingFedAvg(tensors, { global: GLOBAL, shares: SITES.length, scale });
  for (const id of siteIds) fedavg.add(update(id), SAMPLES[id] as number);
  const next = fedavg.applyTo(GLOBAL);
  fedavg.close();
  return encodeBlob(next).bytes;
}

/** One site as the site client runs it, in process: a SecAggSite fed by what the service sends. */
interface ScriptedSite {
  readonly siteId: string;
  task: SecureAggregationTask | null;
  client: SecAggSite | null;
  roster: SecAggRosterPayload | null;
  /** Resolves when the roster reaches the site. */
  readonly rosterArrived: Promise<void>;
  delivered: SecAggDeliverPayload | null;
  /** False: the site is gone when the unmasking is asked. */
  answers: boolean;
  asked: SecAggUnmaskRequest[];
}

interface Federation {
  readonly c: InMemoryCoordinator;
  readonly blobs: FileBlobStore;
  readonly service: SecureAggregationService;
  readonly study: Study;
  readonly sites: Map<string, ScriptedSite>;
  readonly warnings: string[];
  readonly infos: { obj: object; msg: string }[];
  /** The blob store's folder. */
  readonly storeDir: string;
}

async function federation(
  o: {
    windowMs?: number;
    approved?: Record<string, number | null>;
    ringBits?: 32;
    prg?: 'aes-128-ctr' | 'aes-256-ctr';
    /** The mask PRGs each site's hello lists (absent: none, a client before the field). */
    secaggPrgs?: Record<string, string[]>;
  } = {},
) {
  const storeDir = fs.mkdtempSync(path.join(dir, 'store-'));
  const blobs = new FileBlobStore(storeDir);
  const c = inMemoryCoordinator(blobs);
  const sites = new Map<string, ScriptedSite>();
  for (const id of SITES) {
    const approved = o.approved && id in o.approved ? o.approved[id] : SAMPLES[id];
    c.sites.put(id, approved == null ? null : { nTrain: approved, nTest: 25 });
    let arrived = (): void => undefined;
    const site: ScriptedSite = {
      siteId: id,
      task: null,
      client: null,
      roster: null,
      rosterArrived: new Promise<void>((resolve) => (arrived = resolve)),
      delivered: null,
      answers: true,
      asked: [],
    };
    sites.set(id, site);
    const prgs = o.secaggPrgs?.[id];
    const hello: HelloPayload = {
      ...HELLO,
      n_train: SAMPLES[id] as number,
      ...(prgs ? { secagg_prgs: prgs } : {}),
    };
    c.presence.connect({
      ...recordingSession(id, hello),
      secagg: {
        roster: (p) => {
          site.roster = p;
          arrived();
        },
        deliver: (p) => void (site.delivered = p),
        unmask: async (req): Promise<Ack<SecAggUnmaskAccepted>> => {
          site.asked.push(req);
          if (!site.answers) throw new Error('operation has timed out');
          const r = (site.client as SecAggSite).unmask(req);
          const wire = (h: { of: number; y: bigint }) => ({ of: h.of, y: elementToBytes(h.y, P521_BYTES) });
          return { ok: true, self_shares: r.selfShares.map(wire), key_shares: r.keyShares.map(wire) };
        },
      },
    });
  }
  const { study, round } = await seedRound(c, {
    sites: SITES,
    state: 'training',
    spec: {
      min_sites: 4,
      secure_aggregation: {
        threshold: 4,
        clip_norm: 1,
        ...(o.ringBits ? { ring_bits: o.ringBits } : {}),
        ...(o.prg ? { prg: o.prg } : {}),
      },
    },
  });
  const base = encodeBlob(GLOBAL);
  await blobs.put(base.bytes);
  await c.models.add({
    studyId: study.id,
    version: 0,
    sha256: base.sha256,
    bytes: base.bytes.length,
    roundNumber: null,
  });
  const warnings: string[] = [];
  const infos: { obj: object; msg: string }[] = [];
  const log = {
    info: (obj: object, msg: string) => void infos.push({ obj, msg }),
    warn: (_: object, msg: string) => void warnings.push(msg),
  };
  const service = new SecureAggregationService(
    c.presence,
    c.sites,
    c.models,
    new BlobCache(blobs),
    blobs,
    log,
    {
      windowMs: o.windowMs ?? 60_000,
    },
  );
  await service.onChange(changeOf(study, round, [{ type: 'sendTrainingTasks', siteIds: SITES }]));
  for (const site of sites.values()) {
    site.task = service.taskFor(study.id, 1, site.siteId);
    if (site.task) {
      const { site: n, sites: count, threshold, round_tag: roundTag, prg } = site.task;
      site.client = new SecAggSite(n, { roundTag, threshold, sites: count, ...(prg ? { prg } : {}) });
    }
  }
  return { c, blobs, service, study, sites, warnings, infos, storeDir } satisfies Federation;
}

const ref = (f: Federation, s: ScriptedSite) => ({
  study_id: f.study.id,
  round: 1,
  round_tag: (s.task as SecureAggregationTask).round_tag,
});

/** Keys from `advertising` sites, then shares from those of them in `sharing` that got the roster. */
function keysAndShares(f: Federation, advertising = SITES, sharing = advertising) {
  for (const id of advertising) {
    const s = f.sites.get(id) as ScriptedSite;
    const keys = (s.client as SecAggSite).advertise();
    f.service.advertise(id, { ...ref(f, s), c_public: keys.cPublic, s_public: keys.sPublic });
  }
  for (const id of sharing) {
    const s = f.sites.get(id) as ScriptedSite;
    if (!s.roster) continue;
    const roster = s.roster.roster.map((r) => ({
      site: r.site,
      cPublic: Buffer.from(r.c_public),
      sPublic: Buffer.from(r.s_public),
    }));
    const sealed = (s.client as SecAggSite).shareKeys(roster);
    f.service.shareKeys(id, { ...ref(f, s), shares: sealed.map((m) => ({ to: m.to, sealed: m.sealed })) });
  }
  for (const s of f.sites.values()) {
    if (!s.delivered) continue;
    (s.client as SecAggSite).receiveShares(
      s.delivered.shares.map((m) => ({
        from: m.from,
        to: (s.task as SecureAggregationTask).site,
        sealed: Buffer.from(m.sealed),
      })),
    );
  }
}

/** Site `id` masks its update (or `delta`) and uploads it: stored in the blob store, then folded. */
async function upload(f: Federation, id: string, delta = update(id)): Promise<string> {
  const s = f.sites.get(id) as ScriptedSite;
  const task = s.task as SecureAggregationTask;
  const layout =
    task.ring_bits === 32
      ? gridLayout(GLOBAL, task.shares, { norm: task.clip_norm, totalWeight: task.total_weight as number })
      : gridLayout(GLOBAL, task.shares);
  const words = [...(s.client as SecAggSite).maskedInput(layout, delta, task.n_train)].map((m) =>
    Buffer.from(m.words.buffer, m.words.byteOffset, m.words.byteLength),
  );
  const { sha256 } = await f.blobs.put(Buffer.concat(words));
  await f.service.fold(f.study.id, 1, id, sha256);
  return sha256;
}

async function stored(f: Federation, sha256: string): Promise<Buffer> {
  return fs.promises.readFile((await f.blobs.localFile(sha256)) as string);
}

describe('SecureAggregationService', () => {
  it('gives each participant its number, the threshold and the weight it masks with', async () => {
    const f = await federation();
    const tasks = SITES.map((id) => f.sites.get(id)?.task);
    expect(tasks.map((t) => t?.site)).toEqual([1, 2, 3, 4, 5]);
    expect(tasks.map((t) => t?.n_train)).toEqual(SITES.map((id) => SAMPLES[id]));
    expect(tasks[0]).toMatchObject({ sites: 5, threshold: 4, shares: 5, clip_norm: 1 });
    expect(new Set(tasks.map((t) => t?.round_tag)).size).toBe(1);
  });

  it('a site whose case count the lead has not approved is left out of the session', async () => {
    const f = await federation({ approved: { c: null } });
    expect(f.sites.get('c')?.task).toBeNull();
    expect(f.sites.get('d')?.task).toMatchObject({ site: 3, sites: 4 });
  });

  it('one site drops after its shares: the new global is plain FedAvg of the 4 survivors, bit for bit', async () => {
    const f = await federation();
    keysAndShares(f);
    const inputs = [];
    for (const id of ['a', 'b', 'c', 'd']) inputs.push(await upload(f, id));
    const next = await f.service.aggregate(f.study.id, 1);
    const bytes = await stored(f, next.sha256);
    expect(Buffer.compare(bytes, Buffer.from(plainFedAvg(['a', 'b', 'c', 'd'])))).toBe(0);
    // Site e's s-key was asked for (it dropped), the survivors' self-mask seeds: never both of one site.
    const asked = f.sites.get('a')?.asked[0];
    expect(asked).toMatchObject({ survivors: [1, 2, 3, 4], dropped: [5] });
    // Each stored input is 8 bytes per weight and is not the site's update in any plain encoding.
    for (const [i, sha] of inputs.entries()) {
      const masked = await stored(f, sha);
      expect(masked.length).toBe(8 * (21 + 300));
      expect(masked.includes(Buffer.from(encodeBlob(update(SITES[i] as string)).bytes.subarray(-64)))).toBe(
        false,
      );
    }
  });

  it('prg aes-128-ctr: the tasks name it, and the global is plain FedAvg of the 4 survivors, bit for bit', async () => {
    const f = await federation({ prg: 'aes-128-ctr' });
    expect(f.sites.get('a')?.task).toMatchObject({ prg: 'aes-128-ctr' });
    keysAndShares(f);
    for (const id of ['a', 'b', 'c', 'd']) await upload(f, id);
    const next = await f.service.aggregate(f.study.id, 1);
    expect(Buffer.compare(await stored(f, next.sha256), Buffer.from(plainFedAvg(['a', 'b', 'c', 'd'])))).toBe(
      0,
    );
  });

  it('a study without prg whose sites list no PRG in their hello (a version before it) sends none: aes-256-ctr', async () => {
    for (const prg of [undefined, 'aes-256-ctr'] as const) {
      const f = await federation(prg ? { prg } : {});
      expect(f.sites.get('a')?.task).not.toHaveProperty('prg');
    }
  });

  it('a study without prg whose every site lists aes-128-ctr masks with it, and the global is still plain FedAvg bit for bit', async () => {
    const both = ['aes-256-ctr', 'aes-128-ctr'];
    const f = await federation({ secaggPrgs: Object.fromEntries(SITES.map((id) => [id, both])) });
    for (const s of f.sites.values()) expect(s.task).toMatchObject({ prg: 'aes-128-ctr' });
    keysAndShares(f);
    for (const id of ['a', 'b', 'c', 'd']) await upload(f, id);
    const next = await f.service.aggregate(f.study.id, 1);
    expect(Buffer.compare(await stored(f, next.sha256), Buffer.from(plainFedAvg(['a', 'b', 'c', 'd'])))).toBe(
      0,
    );
  });

  it('one site that does not list aes-128-ctr, or a study that names aes-256-ctr, keeps the session on aes-256-ctr', async () => {
    const both = ['aes-256-ctr', 'aes-128-ctr'];
    const allBut = await federation({
      secaggPrgs: Object.fromEntries(SITES.map((id) => [id, id === 'c' ? ['aes-256-ctr'] : both])),
    });
    for (const s of allBut.sites.values()) expect(s.task).not.toHaveProperty('prg');
    const named = await federation({
      prg: 'aes-256-ctr',
      secaggPrgs: Object.fromEntries(SITES.map((id) => [id, both])),
    });
    for (const s of named.sites.values()) expect(s.task).not.toHaveProperty('prg');
  });

  it('with every site in, the same equality holds', async () => {
    const f = await federation();
    keysAndShares(f);
    for (const id of SITES) await upload(f, id);
    const next = await f.service.aggregate(f.study.id, 1);
    expect(Buffer.compare(await stored(f, next.sha256), Buffer.from(plainFedAvg(SITES)))).toBe(0);
  });

  it('3 survivors answer with threshold 4: the aggregation fails with the reason, nothing is stored', async () => {
    const f = await federation();
    keysAndShares(f);
    for (const id of ['a', 'b', 'c', 'd']) await upload(f, id);
    (f.sites.get('d') as ScriptedSite).answers = false;
    const files = fs.readdirSync(f.storeDir, { recursive: true });
    await expect(f.service.aggregate(f.study.id, 1)).rejects.toThrow(
      'only 3 survivors answered the unmasking, below the threshold 4: the sum cannot be unmasked',
    );
    expect(fs.readdirSync(f.storeDir, { recursive: true })).toEqual(files);
    // The session is gone: a second try is a lost session, not a second unmasking.
    await expect(f.service.aggregate(f.study.id, 1)).rejects.toBeInstanceOf(SecureSessionLost);
  });

  it('a site that did not clip: the unmasked sum breaks clip_norm × Σn and the model is not taken', async () => {
    const f = await federation();
    keysAndShares(f);
    for (const id of ['a', 'b', 'c']) await upload(f, id);
    // ‖δ‖ ≈ 0.3·√321/√3 ≈ 3.1 > clip_norm 1, within the grid's range (the ring check passes).
    await upload(f, 'd', update('d', 0.3));
    await expect(f.service.aggregate(f.study.id, 1)).rejects.toThrow(
      /the unmasked sum's norm ‖Σ nᵢδᵢ‖ = [\d.]+ exceeds clip_norm 1 × Σ nᵢ 353/,
    );
  });

  it('ring_bits 32: 4 bytes per weight, and the global is plain FedAvg on the clipped grid (c = 1, W = 400: scale 32) of the 4 survivors, bit for bit', async () => {
    const f = await federation({ ringBits: 32 });
    expect(f.sites.get('a')?.task).toMatchObject({ ring_bits: 32, total_weight: 400, clip_norm: 1 });
    // The lead is told the grid's step and the mean's rounding bound K·q/(2W) = 5·2⁻²¹/800 (grid.ts, "Error").
    expect(f.infos.find((i) => i.msg.startsWith('secure aggregation on the 32-bit ring'))?.obj).toMatchObject(
      {
        gridStep: 2 ** -21,
        meanRoundingBound: (5 * 2 ** -21) / 800,
      },
    );
    keysAndShares(f);
    const inputs = [];
    for (const id of ['a', 'b', 'c', 'd']) inputs.push(await upload(f, id));
    for (const sha of inputs) expect((await stored(f, sha)).length).toBe(4 * (21 + 300));
    const next = await f.service.aggregate(f.study.id, 1);
    const bytes = await stored(f, next.sha256);
    expect(clippedGridScale(1, 400)).toBe(32);
    expect(Buffer.compare(bytes, Buffer.from(plainFedAvg(['a', 'b', 'c', 'd'], 32)))).toBe(0);
    // …and not the default grid's bytes: the grids differ (the 32-bit ring's precision cost).
    expect(Buffer.compare(bytes, Buffer.from(plainFedAvg(['a', 'b', 'c', 'd'])))).not.toBe(0);
  });

  it('closes the key window after windowMs: the roster goes to the sites that advertised', async () => {
    const f = await federation({ windowMs: 20 });
    keysAndShares(f, ['a', 'b', 'c', 'd'], []);
    const a = f.sites.get('a') as ScriptedSite;
    await a.rosterArrived;
    expect(a.roster?.roster.map((r) => r.site)).toEqual([1, 2, 3, 4]);
    expect(f.sites.get('e')?.roster).toBeNull();
  });

  it('refuses a stale round tag, a site outside the session, an input before the shares', async () => {
    const f = await federation({ approved: { e: null } });
    const a = f.sites.get('a') as ScriptedSite;
    const keys = (a.client as SecAggSite).advertise();
    const payload = { ...ref(f, a), c_public: keys.cPublic, s_public: keys.sPublic };
    expect(() => f.service.advertise('a', { ...payload, round_tag: 'old' })).toThrow(
      expect.objectContaining({ code: 'ROUND_NOT_CURRENT' }),
    );
    expect(() => f.service.advertise('e', payload)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    f.service.advertise('a', payload);
    expect(() => f.service.advertise('a', payload)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => f.service.maskedInput(f.study.id, 1, 'a')).toThrow(
      expect.objectContaining({ code: 'ROUND_NOT_CURRENT' }),
    );
  });
});
