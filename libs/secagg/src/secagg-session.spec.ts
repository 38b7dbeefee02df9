import { gridStep, StreamingFedAvg, type WeightTensor } from '@fedaln/aggregation';
import * as gridInput from './grid-input';
import { closeMaskRemovalHelpers } from './mask-removal-helpers';
import { MaskedSum, type MaskedSumOptions } from './masked-sum';
import type { SealedShares, SessionParams } from './messages';
import { SecAggError } from './secagg-error';
import {
  openSession,
  SESSION_PHASES,
  stepSession,
  type SessionEffect,
  type SessionEvent,
  type SessionEventType,
  type SessionPhase,
  type SessionState,
} from './secagg-session';
import { SecAggSite } from './secagg-site';
import { gridLayout, gridTerms, type GridLayout } from './grid-input';
import { decodeSigned } from './ring';

// The reference is StreamingFedAvg (libs/aggregation) over the same updates: the unmasked sum must
// equal it bit for bit (grid-input.ts, ring.ts).
const SITES = 5;
const params: SessionParams = Object.freeze({
  roundTag: 'study-1/round-3/attempt-1',
  threshold: 4,
  sites: SITES,
});
const tensors = [
  { name: 'conv', shape: [7, 3] },
  { name: 'dense', shape: [40] },
];
// A global whose 'dense' has max |g| = 1.5, so that tensor's grid scale is M = 2 (grid.ts).
const global: WeightTensor[] = tensors.map((t, k) => ({
  ...t,
  values: Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, (_, i) =>
    k === 1 && i === 0 ? 1.5 : 0.1,
  ),
}));
const layout: GridLayout = Object.freeze(gridLayout(global, SITES));
const samples = [120, 80, 3, 150, 47];

/** Seeded deltas in ±0.01, with exact grid ties first (x·w = k + ½: ties to even, where Math.round differs). */
function makeUpdate(site: number, lay: GridLayout = layout): WeightTensor[] {
  let s = site * 2654435761;
  return tensors.map((t, k) => {
    const v = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = (s / 2 ** 32 - 0.5) * 0.02;
    }
    const w = ((samples[site - 1] as number) * 2 ** 26) / (lay.scales[k] as number);
    v[0] = 0.5 / w;
    v[1] = -1.5 / w;
    v[2] = 2.5 / w;
    return { ...t, values: v };
  });
}
const updates = Object.freeze([1, 2, 3, 4, 5].map((u) => makeUpdate(u)));

function plainFedAvg(sites: readonly number[]): WeightTensor[] {
  const fedavg = new StreamingFedAvg(tensors, { global, shares: SITES });
  for (const u of sites) fedavg.add(updates[u - 1] as WeightTensor[], samples[u - 1] as number);
  const out = fedavg.result();
  fedavg.close();
  return out;
}

/** Each site's grid integers r (what must never sit in the coordinator's state). */
const plainTerms = updates.map((u, j) => {
  const parts = u.map((t, k) => {
    const w = new Uint32Array(2 * t.values.length);
    gridTerms(t.values, samples[j] as number, layout.scales[k] as number, w);
    return w;
  });
  const all = new Uint32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
});

interface Run {
  session: SessionState;
  sum: MaskedSum;
  effects: SessionEffect[];
  /** Elements of the coordinator's accumulator equal to some site's own grid integer, after each input. */
  leaks: number;
}

/** A session of `params` and a step that throws a rejection; `effects` collects every effect so far. */
function sessionDriver(sessionParams: SessionParams = params) {
  const d = {
    session: openSession(sessionParams),
    effects: [] as SessionEffect[],
    apply(e: SessionEvent): SessionEffect[] {
      const r = stepSession(d.session, e);
      if (r.kind === 'rejected') throw r.error;
      d.session = r.session;
      d.effects.push(...r.effects);
      return [...r.effects];
    },
  };
  return d;
}

/**
 * Drives a 5-site session in process. `dropBeforeInput`: sites that send shares but no input;
 * `dropBeforeUnmask`: sites that send their input but do not answer the unmasking.
 */
function runSession(
  dropBeforeInput: number[],
  dropBeforeUnmask: number[],
  lay: GridLayout = layout,
  inputs: readonly WeightTensor[][] = updates,
  sumOptions: MaskedSumOptions = {},
  sessionParams: SessionParams = params,
): Run {
  const sites = [1, 2, 3, 4, 5].map((u) => new SecAggSite(u, sessionParams));
  const driver = sessionDriver(sessionParams);
  const { apply, effects } = driver;
  for (const s of sites) apply({ type: 'keysAdvertised', advertisement: s.advertise() });
  const [roster] = apply({ type: 'advertiseClosed' });
  if (roster?.type !== 'broadcastRoster') throw new Error('no roster');
  for (const s of sites) apply({ type: 'sharesSent', from: s.site, shares: s.shareKeys(roster.roster) });
  for (const d of apply({ type: 'sharingClosed' })) {
    if (d.type === 'deliverShares') (sites[d.to - 1] as SecAggSite).receiveShares(d.shares as SealedShares[]);
  }
  const sum = new MaskedSum(lay, sumOptions);
  let leaks = 0;
  for (const s of sites) {
    if (dropBeforeInput.includes(s.site)) continue;
    for (const chunk of s.maskedInput(
      lay,
      inputs[s.site - 1] as WeightTensor[],
      samples[s.site - 1] as number,
      16,
    ))
      sum.add(chunk);
    apply({ type: 'maskedInputReceived', site: s.site, nSamples: samples[s.site - 1] as number });
    const acc = sum.peek();
    if (lay !== layout) continue;
    for (const terms of plainTerms) {
      for (let i = 0; i < acc.length / 2; i++) if (decodeSigned(acc, i) === decodeSigned(terms, i)) leaks++;
    }
  }
  const closed = apply({ type: 'inputsClosed' });
  for (const e of closed) {
    if (e.type !== 'requestUnmasking') continue;
    for (const u of e.to) {
      if (dropBeforeUnmask.includes(u)) continue;
      apply({ type: 'unmaskResponse', response: (sites[u - 1] as SecAggSite).unmask(e.request) });
    }
  }
  if (driver.session.phase === 'unmasking') {
    for (const e of apply({ type: 'unmaskClosed' })) if (e.type === 'unmask') sum.unmask(e.plan);
  }
  return { session: driver.session, sum, effects, leaks };
}

afterAll(() => closeMaskRemovalHelpers());

describe('secure aggregation of 5 sites, in process', () => {
  it("takes StreamingFedAvg's grid scales from the global: 'dense' (max |g| = 1.5) is on scale 2 (grid.ts)", () => {
    expect(layout.scales).toEqual([1, 2]);
  });

  it('with no dropout the unmasked mean equals StreamingFedAvg over all 5 bit for bit', () => {
    const { sum, session } = runSession([], []);
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainFedAvg([1, 2, 3, 4, 5]));
    const fedavg = new StreamingFedAvg(tensors, { global, shares: SITES });
    for (let u = 1; u <= 5; u++) fedavg.add(updates[u - 1] as WeightTensor[], samples[u - 1] as number);
    expect(sum.mean(global)).toEqual(fedavg.applyTo(global));
    fedavg.close();
  });

  it('site 3 drops after sending shares, before its input: the mean equals StreamingFedAvg over the 4 survivors bit for bit', () => {
    const { sum, session, effects, leaks } = runSession([3], []);
    expect(session.phase).toBe('completed');
    expect(effects).toContainEqual(
      expect.objectContaining({
        type: 'requestUnmasking',
        request: { survivors: [1, 2, 4, 5], dropped: [3] },
      }),
    );
    expect(sum.mean()).toEqual(plainFedAvg([1, 2, 4, 5]));
    // Masked elements are uniform mod 2^64: an element equal to a site's own term would be a
    // 2^-64 coincidence, so every match would be a leak.
    expect(leaks).toBe(0);
  });

  it('with 2 helper threads for the unmasking (mask-removal.ts), site 3 dropped: the same mean bit for bit', () => {
    const { sum, session } = runSession([3], [], layout, updates, { helpers: 2 });
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainFedAvg([1, 2, 4, 5]));
  });

  it('with prg aes-128-ctr (sites and coordinator of one session agree), site 3 dropped, 1 helper: the same mean bit for bit', () => {
    const aes128 = { ...params, prg: 'aes-128-ctr' } as const;
    const { sum, session, effects } = runSession([3], [], layout, updates, { helpers: 1 }, aes128);
    expect(session.phase).toBe('completed');
    expect(effects.find((e) => e.type === 'unmask')).toMatchObject({ plan: { prg: 'aes-128-ctr' } });
    expect(sum.mean()).toEqual(plainFedAvg([1, 2, 4, 5]));
  });

  it('a session that names no prg rebuilds its masks with aes-256-ctr (sessions made before prg existed)', () => {
    const { effects } = runSession([], []);
    expect(effects.find((e) => e.type === 'unmask')).toMatchObject({ plan: { prg: 'aes-256-ctr' } });
  });

  it('refuses a prg it does not know', () => {
    expect(() => openSession({ ...params, prg: 'chacha20' as 'aes-128-ctr' })).toThrow(
      'prg chacha20 is not one of aes-256-ctr, aes-128-ctr (absent: aes-256-ctr)',
    );
  });

  it('site 5 drops after its input, before unmasking: its input arrived whole, its self mask is rebuilt from 4 shares', () => {
    const { sum, session } = runSession([], [5]);
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainFedAvg([1, 2, 3, 4, 5]));
  });

  it('the coordinator state holds keys, sealed shares and weights only — no vector', () => {
    const { session } = runSession([3], []);
    const vectors: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (ArrayBuffer.isView(v) && !Buffer.isBuffer(v)) vectors.push(path);
      else if (Buffer.isBuffer(v))
        expect(v.length).toBeLessThanOrEqual(200); // keys (32 B) and sealed shares (160 B)
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    };
    walk(session, 'session');
    expect(vectors).toEqual([]);
  });

  it('with 2 dropped before their input (3 < t = 4 left) the round fails with the reason', () => {
    const { session, effects } = runSession([2, 4], []);
    expect(session.phase).toBe('failed');
    expect(session.failure).toBe(
      'only 3 sites sent a masked input, below the threshold 4: the masks cannot be removed',
    );
    expect(effects.at(-1)).toEqual({ type: 'sessionFailed', reason: session.failure });
  });

  it('with 4 inputs but only 3 answers to the unmasking the round fails with the reason', () => {
    const { session } = runSession([1], [2]);
    expect(session.phase).toBe('failed');
    expect(session.failure).toMatch(/^only 3 survivors answered the unmasking, below the threshold 4/);
  });
});

/** Five sites through key advertisement and share exchange, outside any session machine. */
function sharedSites(): SecAggSite[] {
  const sites = [1, 2, 3, 4, 5].map((u) => new SecAggSite(u, params));
  const roster = sites.map((s) => s.advertise());
  const sealed = sites.flatMap((s) => s.shareKeys(roster));
  for (const s of sites) s.receiveShares(sealed.filter((m) => m.to === s.site));
  return sites;
}

// The clipped grid on the 32-bit ring (grid.ts clippedGridScale, ring.ts k = 32): clip norm 1 and
// the session's approved weights W = 400 give c·W = 400 ≤ 2⁴·M, M = 32 (q = 2⁻²¹) for every tensor.
// The reference is StreamingFedAvg given the same scale.
const CLIP = 1;
const W = samples.reduce((a, b) => a + b, 0);
const layout32: GridLayout = Object.freeze(gridLayout(global, SITES, { norm: CLIP, totalWeight: W }));
const updates32 = Object.freeze([1, 2, 3, 4, 5].map((u) => makeUpdate(u, layout32)));

function plainClipped(sites: readonly number[], inputs: readonly WeightTensor[][] = updates32) {
  const fedavg = new StreamingFedAvg(tensors, { scale: layout32.scales[0], shares: SITES });
  for (const u of sites) fedavg.add(inputs[u - 1] as WeightTensor[], samples[u - 1] as number);
  const out = { result: fedavg.result(), applied: fedavg.applyTo(global) };
  fedavg.close();
  return out;
}

describe('secure aggregation on the 32-bit ring (clipped grid), 5 sites in process', () => {
  it('puts every tensor on one scale, 32 (c·W = 400 ≤ 2⁴·32), and 4 bytes per element', () => {
    expect(W).toBe(400);
    expect(layout32.scales).toEqual([32, 32]);
    expect(layout32.ringBits).toBe(32);
    const site = sharedSites()[0] as SecAggSite;
    const chunks = [...site.maskedInput(layout32, updates32[0] as WeightTensor[], samples[0] as number)];
    expect(chunks.reduce((a, c) => a + c.words.byteLength, 0)).toBe(4 * 61);
  });

  it('with no dropout the unmasked mean equals StreamingFedAvg on the same scale bit for bit', () => {
    const { sum, session } = runSession([], [], layout32, updates32);
    expect(session.phase).toBe('completed');
    const plain = plainClipped([1, 2, 3, 4, 5]);
    expect(sum.mean()).toEqual(plain.result);
    expect(sum.mean(global)).toEqual(plain.applied);
  });

  it('site 3 drops before its input: the mean equals StreamingFedAvg over the 4 survivors bit for bit', () => {
    const { sum, session } = runSession([3], [], layout32, updates32);
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainClipped([1, 2, 4, 5]).result);
  });

  it('with prg aes-128-ctr, site 3 dropped: the mean equals StreamingFedAvg over the 4 survivors bit for bit', () => {
    const { sum, session } = runSession([3], [], layout32, updates32, {}, { ...params, prg: 'aes-128-ctr' });
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainClipped([1, 2, 4, 5]).result);
  });

  it('site 5 drops before unmasking: its self mask is rebuilt and the mean is StreamingFedAvg over all 5', () => {
    const { sum, session } = runSession([], [5], layout32, updates32);
    expect(session.phase).toBe('completed');
    expect(sum.mean()).toEqual(plainClipped([1, 2, 3, 4, 5]).result);
  });

  it('stays within its rounding bound K·q/(2W) of the exact mean (grid.ts, "Error"), q = 2⁻²¹ here against 2⁻²⁶ by default', () => {
    const { sum } = runSession([], [], layout32, updates32);
    const mean = sum.mean();
    const q = gridStep(32);
    tensors.forEach((_, k) => {
      for (let i = 0; i < (mean[k] as WeightTensor).values.length; i++) {
        let exact = 0;
        for (let u = 0; u < SITES; u++)
          exact += (samples[u] as number) * ((updates32[u] as WeightTensor[])[k] as WeightTensor).values[i]!;
        exact /= W;
        // + half a float32 ulp of the result for its final rounding.
        const bound = (SITES * q) / (2 * W) + Math.abs(exact) * 2 ** -24;
        expect(Math.abs((mean[k] as WeightTensor).values[i]! - exact)).toBeLessThanOrEqual(bound);
      }
    });
  });

  it('a site past its share (a value beyond clip_norm) is refused before masking, naming the value and the fix', () => {
    const site = sharedSites()[0] as SecAggSite;
    const bad = (updates32[0] as WeightTensor[]).map((t) => ({ ...t, values: t.values.slice() }));
    bad[1]!.values[9] = 1.5 * CLIP;
    expect(() => [...site.maskedInput(layout32, bad, samples[0] as number)]).toThrow(
      /"dense" value 1\.5 at index 9 is not finite or exceeds clip_norm 1: .* would wrap around; clip the update/,
    );
    bad[1]!.values[9] = 0.8 * CLIP;
    bad[1]!.values[10] = 0.8 * CLIP; // each within c, the norm ≈ 1.13 c
    expect(() => [...site.maskedInput(layout32, bad, samples[0] as number)]).toThrow(
      /the update's norm ‖δ‖₂ = 1\.13\d* exceeds clip_norm 1: clip it before masking/,
    );
    bad[1]!.values[9] = Number.POSITIVE_INFINITY;
    expect(() => [...site.maskedInput(layout32, bad, samples[0] as number)]).toThrow(
      /value Infinity at index 9/,
    );
  });

  it('refuses a weight outside the session total, and a layout whose scale is too fine for its clip', () => {
    const site = sharedSites()[0] as SecAggSite;
    const u = updates32[0] as WeightTensor[];
    expect(() => [...site.maskedInput(layout32, u, W + 1)]).toThrow(
      /nSamples 401 exceeds .* total approved weight 400/,
    );
    const tooFine: GridLayout = { ...layout32, scales: [16, 16] };
    expect(() => [...site.maskedInput(tooFine, u, 120)]).toThrow(/scale 16 is too fine for the 32-bit ring/);
    const noClip: GridLayout = { ...layout, ringBits: 32 };
    expect(() => [...site.maskedInput(noClip, u, 120)]).toThrow(/the 32-bit ring needs a clip norm/);
  });

  /** Site 5 (47 samples) skips its check and sends `value` at "dense"[5]: the run and the decoded Σ r·q there. */
  function skippedCheck(value: number) {
    const inputs = updates32.map((u) => u.map((t) => ({ ...t, values: t.values.slice() })));
    inputs[4]![1]!.values[5] = value;
    const skip = jest.spyOn(gridInput, 'checkGridInput').mockImplementation(() => undefined);
    try {
      const run = runSession([], [], layout32, inputs);
      const q = gridStep(32);
      const norm = Math.hypot(...[0, 1].flatMap((k) => [...run.sum.sums(k)].map((r) => r * q)));
      return { mean: run.sum.mean(), plain: plainClipped([1, 2, 3, 4, 5], inputs).result, norm };
    } finally {
      skip.mockRestore();
    }
  }

  it('a site that skips its check and exceeds its share wraps the sum around mod 2³² (2³²·q = 2048): the result is not StreamingFedAvg', () => {
    // 47 × 33 = 1551 > 1024 = 2³¹·q: the element decodes as 1551 − 2048 = −497 (plus the others' small terms).
    const { mean, plain, norm } = skippedCheck(33);
    expect(mean[0]).toEqual(plain[0]);
    expect(mean[1]!.values[5]! * W).toBeCloseTo(-497, 0);
    expect(plain[1]!.values[5]! * W).toBeCloseTo(1551, 0);
    // The coordinator's bound after unmasking (apps/coordinator unmasked-bound.ts: ‖Σ nᵢδᵢ‖₂ ≤ c·W plus
    // √P·K·q/2 ≈ 1e-5 of rounding) catches this wrap: |−497| > 400.
    expect(norm).toBeGreaterThan(CLIP * W + 1e-3);
  });

  it("…but a wrap can land inside the bound: 47 × 41 = 1927 decodes as −121, and only the site's own check stops it", () => {
    const { mean, norm } = skippedCheck(41);
    expect(mean[1]!.values[5]! * W).toBeCloseTo(-121, 0);
    expect(norm).toBeLessThan(CLIP * W);
  });
});

describe('a survivor sending a bad share', () => {
  it("fails the round with the reason when a dropped site's key does not rebuild to the key it advertised", () => {
    const sites = [1, 2, 3, 4, 5].map((u) => new SecAggSite(u, params));
    const driver = sessionDriver();
    const { apply } = driver;
    const ads = sites.map((x) => x.advertise());
    ads.forEach((a) => apply({ type: 'keysAdvertised', advertisement: a }));
    apply({ type: 'advertiseClosed' });
    sites.forEach((x) => apply({ type: 'sharesSent', from: x.site, shares: x.shareKeys(ads) }));
    for (const e of apply({ type: 'sharingClosed' }))
      if (e.type === 'deliverShares') sites[e.to - 1]!.receiveShares(e.shares);
    [1, 2, 3, 4].forEach((u) => apply({ type: 'maskedInputReceived', site: u, nSamples: 10 }));
    const [request] = apply({ type: 'inputsClosed' });
    if (request?.type !== 'requestUnmasking') throw new Error('no request');
    for (const u of [1, 2, 3, 4]) {
      const r = sites[u - 1]!.unmask(request.request);
      const forged = u === 2 ? { ...r, keyShares: r.keyShares.map((h) => ({ ...h, y: h.y + 1n })) } : r;
      apply({ type: 'unmaskResponse', response: forged });
    }
    const effects = apply({ type: 'unmaskClosed' });
    expect(driver.session.phase).toBe('failed');
    expect(effects).toEqual([
      {
        type: 'sessionFailed',
        reason:
          'the s key rebuilt for dropped site 5 does not match the key it advertised: a survivor sent a bad share',
      },
    ]);
  });
});

describe('a site never reveals both secrets of one peer', () => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      if (e instanceof SecAggError) return e.code;
      throw e;
    }
    return undefined;
  };

  it('refuses a request naming a peer both survivor and dropped', () => {
    const [site] = sharedSites() as [SecAggSite];
    expect(code(() => site.unmask({ survivors: [1, 2, 3, 4], dropped: [4] }))).toBe('both_secrets_requested');
  });

  it('refuses the s-key share of a peer whose self-mask share it gave, and the reverse, revealing nothing more', () => {
    const [site] = sharedSites() as [SecAggSite];
    const first = site.unmask({ survivors: [1, 2, 3, 4], dropped: [5] });
    expect(first.selfShares.map((h) => h.of)).toEqual([1, 2, 3, 4]);
    expect(first.keyShares.map((h) => h.of)).toEqual([5]);
    expect(code(() => site.unmask({ survivors: [1, 2, 3, 5], dropped: [4] }))).toBe('both_secrets_requested');
    expect(code(() => site.unmask({ survivors: [1, 2, 3, 4, 5], dropped: [] }))).toBe(
      'both_secrets_requested',
    );
    // Asking again for what it already gave is allowed (a lost answer).
    expect(site.unmask({ survivors: [1, 2, 3, 4], dropped: [5] })).toEqual(first);
  });

  it('refuses fewer than t survivors', () => {
    const [site] = sharedSites() as [SecAggSite];
    expect(code(() => site.unmask({ survivors: [1, 2, 3], dropped: [4, 5] }))).toBe('too_few_survivors');
  });

  it('refuses to mask an update out of its share of the range, naming the value', () => {
    const [site] = sharedSites() as [SecAggSite];
    const bad = updates[0]!.map((t) => ({ ...t, values: t.values.slice() }));
    bad[1]!.values[7] = Number.NaN;
    expect(() => [...site.maskedInput(layout, bad, 120)]).toThrow(/"dense" value NaN at index 7/);
  });
});

describe('the session machine', () => {
  const a = (site: number) => ({
    site,
    cPublic: Buffer.alloc(32, site),
    sPublic: Buffer.alloc(32, site + 9),
  });
  it('rejects events outside their phase and leaves the session as it was', () => {
    const s = openSession(params);
    const wrong: SessionEvent[] = [
      { type: 'sharingClosed' },
      { type: 'inputsClosed' },
      { type: 'unmaskClosed' },
      { type: 'maskedInputReceived', site: 1, nSamples: 3 },
      { type: 'unmaskResponse', response: { site: 1, selfShares: [], keyShares: [] } },
    ];
    for (const e of wrong) {
      const r = stepSession(s, e);
      expect(r.kind === 'rejected' && r.error.code).toBe('wrong_phase');
    }
  });

  it('rejects a site advertising twice or outside 1..n', () => {
    let s = openSession(params);
    const r = stepSession(s, { type: 'keysAdvertised', advertisement: a(1) });
    if (r.kind !== 'transition') throw r.error;
    s = r.session;
    expect(stepSession(s, { type: 'keysAdvertised', advertisement: a(1) }).kind).toBe('rejected');
    expect(stepSession(s, { type: 'keysAdvertised', advertisement: a(6) }).kind).toBe('rejected');
  });

  it('fails with the reason when fewer than t advertise', () => {
    let s = openSession(params);
    for (const u of [1, 2, 3]) {
      const r = stepSession(s, { type: 'keysAdvertised', advertisement: a(u) });
      if (r.kind === 'transition') s = r.session;
    }
    const r = stepSession(s, { type: 'advertiseClosed' });
    expect(r.kind === 'transition' && r.session.failure).toBe(
      'only 3 sites advertised keys, below the threshold 4',
    );
  });

  it('refuses t ≤ n/2', () => {
    expect(() => openSession({ ...params, threshold: 2 })).toThrow(/threshold 2 is not an integer in 3..5/);
  });
});

describe('the session machine, every phase × event', () => {
  // One real session of 5 sites walked through its phases; at each phase, one well-formed event of
  // every type (taken from the same walk) is offered. Only the pairs below transition; the others
  // are rejected as wrong_phase and leave the session unchanged.
  const defined: Record<SessionPhase, readonly SessionEventType[]> = {
    advertising: ['keysAdvertised', 'advertiseClosed', 'abort'],
    sharing: ['sharesSent', 'sharingClosed', 'abort'],
    collecting: ['maskedInputReceived', 'inputsClosed', 'abort'],
    unmasking: ['unmaskResponse', 'unmaskClosed', 'abort'],
    completed: [],
    failed: [],
  };
  const sites = [1, 2, 3, 4, 5].map((u) => new SecAggSite(u, params));
  const at = {} as Record<SessionPhase, SessionState>;
  const sample = {} as Record<SessionEventType, SessionEvent>;
  const driver = sessionDriver();
  const { apply } = driver;
  at.advertising = driver.session;
  const ads = sites.map((x) => x.advertise());
  sample.keysAdvertised = { type: 'keysAdvertised', advertisement: ads[0]! };
  ads.slice(1).forEach((a) => apply({ type: 'keysAdvertised', advertisement: a }));
  sample.advertiseClosed = { type: 'advertiseClosed' };
  // The table's advertising entry needs room for one more site: site 1 advertises last.
  at.advertising = driver.session;
  apply(sample.keysAdvertised);
  apply(sample.advertiseClosed);
  at.sharing = driver.session;
  const sealed = sites.map((x) => x.shareKeys(ads));
  sample.sharesSent = { type: 'sharesSent', from: 1, shares: sealed[0]! };
  sealed.slice(1).forEach((m, i) => apply({ type: 'sharesSent', from: i + 2, shares: m }));
  at.sharing = driver.session;
  apply(sample.sharesSent);
  sample.sharingClosed = { type: 'sharingClosed' };
  for (const e of apply(sample.sharingClosed))
    if (e.type === 'deliverShares') sites[e.to - 1]!.receiveShares(e.shares);
  [2, 3, 4, 5].forEach((u) => apply({ type: 'maskedInputReceived', site: u, nSamples: 10 }));
  at.collecting = driver.session;
  sample.maskedInputReceived = { type: 'maskedInputReceived', site: 1, nSamples: 10 };
  apply(sample.maskedInputReceived);
  sample.inputsClosed = { type: 'inputsClosed' };
  const [request] = apply(sample.inputsClosed);
  if (request?.type !== 'requestUnmasking') throw new Error('no request');
  [2, 3, 4].forEach((u) =>
    apply({ type: 'unmaskResponse', response: sites[u - 1]!.unmask(request.request) }),
  );
  at.unmasking = driver.session;
  sample.unmaskResponse = { type: 'unmaskResponse', response: sites[0]!.unmask(request.request) };
  apply(sample.unmaskResponse);
  sample.unmaskClosed = { type: 'unmaskClosed' };
  apply(sample.unmaskClosed);
  at.completed = driver.session;
  sample.abort = { type: 'abort', reason: 'lead stopped the round' };
  at.failed = (stepSession(at.collecting, sample.abort) as { session: SessionState }).session;

  const rows = SESSION_PHASES.flatMap((phase) =>
    (Object.keys(sample) as SessionEventType[]).map((type) => [phase, type] as const),
  );
  it.each(rows)('%s × %s', (phase, type) => {
    const r = stepSession(at[phase], sample[type]);
    if (defined[phase].includes(type)) {
      expect(r.kind).toBe('transition');
    } else {
      expect(r.kind === 'rejected' && r.error.code).toBe('wrong_phase');
    }
  });

  it('abort fails the session with the reason', () => {
    expect(at.failed.phase).toBe('failed');
    expect(at.failed.failure).toBe('lead stopped the round');
  });
});
