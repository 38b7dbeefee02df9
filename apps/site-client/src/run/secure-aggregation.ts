import {
  maskedElementBytes,
  SiteEvent,
  type NamedTensor,
  type SecAggDeliverPayload,
  type SecAggRosterPayload,
  type SecAggUnmaskAccepted,
  type SecAggUnmaskRequest,
  type SecureAggregationTask,
  type TaskPayload,
} from '@fedaln/protocol';
import { elementToBytes, gridLayout, P521_BYTES, SecAggSite, type GridLayout } from '@fedaln/secagg';
import { request, type SiteSocket } from './site-socket';

/** How long a site waits for the roster, then for its peers' shares, before it gives the round up. */
const EXCHANGE_TIMEOUT_MS = 180_000;
/** Sessions kept for their unmasking (it comes after the upload, at the round's aggregation). */
const KEPT_SESSIONS = 4;

/** A secure train task: its session is named. */
type SecureTask = TaskPayload & { secure_aggregation: SecureAggregationTask };

/**
 * This site's side of secure aggregation (issue 16; README "Secure aggregation"): for each secure
 * train task a {@link SecureRound} on `SecAggSite` of @fedaln/secagg. The `secagg:*` events of the
 * socket are routed here by round tag; the unmasking is answered from memory, by the library's
 * site, which refuses to reveal both secrets of one peer.
 *
 * @example
 * const sessions = new SecureSessions(socket);
 * const round = await sessions.join(task);          // keys → roster → shares → delivered shares
 * const masked = round.maskedInput(global, delta);  // clipped, checked, masked: 8 bytes per weight
 */
export class SecureSessions {
  private readonly byTag = new Map<string, SecureRound>();
  private readonly joins = new Map<string, Promise<SecureRound>>();

  constructor(
    private readonly socket: SiteSocket,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    socket.on(SiteEvent.secaggRoster, (p) => this.byTag.get(p.round_tag)?.rosterArrived(p));
    socket.on(SiteEvent.secaggDeliver, (p) => this.byTag.get(p.round_tag)?.sharesArrived(p));
    socket.on(SiteEvent.secaggUnmask, (req, ack) => {
      const round = this.byTag.get(req.round_tag);
      if (!round) {
        ack({ ok: false, code: 'bad_request', message: `no session ${req.round_tag} at this site` });
        return;
      }
      try {
        ack({ ok: true, ...round.unmask(req) });
        this.log(
          `round ${req.round}: secure aggregation, unmasking answered (survivors ${req.survivors.join(',')}, dropped ${req.dropped.join(',') || 'none'})`,
        );
      } catch (e) {
        ack({ ok: false, code: 'bad_request', message: e instanceof Error ? e.message : String(e) });
      }
    });
  }

  /**
   * Opens the task's session: advertises this site's keys, waits for the roster, sends its sealed
   * shares, waits for its peers'. Throws (the round is given up) if the session does not get there.
   */
  join(task: SecureTask, timeoutMs = EXCHANGE_TIMEOUT_MS): Promise<SecureRound> {
    // A train task run again in this process (its connection was lost while it trained or uploaded)
    // is still in its session: the secrets are here, and the coordinator, past the keys, would
    // refuse new ones. A join that failed is forgotten, so a retry starts it afresh.
    const tag = task.secure_aggregation.round_tag;
    const held = this.joins.get(tag);
    if (held) return held;
    const joining = this.exchange(task, timeoutMs);
    this.joins.set(tag, joining);
    joining.catch(() => this.joins.get(tag) === joining && this.joins.delete(tag));
    while (this.joins.size > KEPT_SESSIONS) this.joins.delete(this.joins.keys().next().value as string);
    return joining;
  }

  private async exchange(task: SecureTask, timeoutMs: number): Promise<SecureRound> {
    const round = new SecureRound(task);
    this.byTag.set(round.tag, round);
    while (this.byTag.size > KEPT_SESSIONS) this.byTag.delete(this.byTag.keys().next().value as string);
    const keys = round.site.advertise();
    await request(this.socket, SiteEvent.secaggKeys, {
      ...round.ref,
      c_public: keys.cPublic,
      s_public: keys.sPublic,
    });
    const roster = await within(round.roster, timeoutMs, 'the roster (every site’s keys)');
    const sealed = round.site.shareKeys(
      roster.roster.map((r) => ({
        site: r.site,
        cPublic: Buffer.from(r.c_public),
        sPublic: Buffer.from(r.s_public),
      })),
    );
    await request(this.socket, SiteEvent.secaggShares, {
      ...round.ref,
      shares: sealed.map((m) => ({ to: m.to, sealed: m.sealed })),
    });
    const delivered = await within(round.delivered, timeoutMs, 'the peers’ key shares');
    round.site.receiveShares(
      delivered.shares.map((m) => ({ from: m.from, to: round.site.site, sealed: Buffer.from(m.sealed) })),
    );
    return round;
  }
}

/** One session of one round attempt at this site. */
export class SecureRound {
  readonly site: SecAggSite;
  readonly roster: Promise<SecAggRosterPayload>;
  readonly delivered: Promise<SecAggDeliverPayload>;
  rosterArrived: (p: SecAggRosterPayload) => void = () => undefined;
  sharesArrived: (p: SecAggDeliverPayload) => void = () => undefined;

  constructor(readonly task: SecureTask) {
    const s = task.secure_aggregation;
    // A prg this client does not know is refused by SecAggSite (bad_parameters, naming the ones it knows).
    this.site = new SecAggSite(s.site, {
      roundTag: s.round_tag,
      threshold: s.threshold,
      sites: s.sites,
      ...(s.prg === undefined ? {} : { prg: s.prg }),
    });
    this.roster = new Promise((resolve) => (this.rosterArrived = resolve));
    this.delivered = new Promise((resolve) => (this.sharesArrived = resolve));
  }

  get tag(): string {
    return this.task.secure_aggregation.round_tag;
  }

  get ref(): { study_id: string; round: number; round_tag: string } {
    return { study_id: this.task.study_id, round: this.task.round, round_tag: this.tag };
  }

  /**
   * The masked input of `delta` (local − global): clipped to the study's `clip_norm`, checked
   * (finite, within this site's share of the grid's range: `checkGridInput`), then masked — 8
   * bytes per weight (4 on the 32-bit ring), in the global's tensor order. The coordinator cannot check an update it
   * cannot see, so this is where an update is bounded.
   */
  maskedInput(
    global: readonly NamedTensor[],
    delta: readonly NamedTensor[],
  ): { bytes: Uint8Array; norm: number } {
    const s = this.task.secure_aggregation;
    const { tensors, norm } = clipped(inGlobalOrder(global, delta), s.clip_norm);
    const layout = taskLayout(global, s);
    const element = maskedElementBytes(s.ring_bits);
    const out = new Uint8Array(
      element * layout.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0),
    );
    for (const chunk of this.site.maskedInput(layout, tensors, s.n_train)) {
      out.set(
        new Uint8Array(chunk.words.buffer, chunk.words.byteOffset, chunk.words.byteLength),
        chunk.from * element,
      );
    }
    return { bytes: out, norm };
  }

  unmask(req: SecAggUnmaskRequest): SecAggUnmaskAccepted {
    const r = this.site.unmask({ survivors: req.survivors, dropped: req.dropped });
    const wire = (h: { of: number; y: bigint }) => ({ of: h.of, y: elementToBytes(h.y, P521_BYTES) });
    return { self_shares: r.selfShares.map(wire), key_shares: r.keyShares.map(wire) };
  }
}

/**
 * The grid layout the coordinator's session sums on: the default grid (Z/2⁶⁴), or with ring_bits 32
 * the clipped grid of clip_norm and the session's total weight (Z/2³²).
 */
function taskLayout(global: readonly NamedTensor[], s: SecureAggregationTask): GridLayout {
  if (s.ring_bits === undefined || s.ring_bits === 64) return gridLayout(global, s.shares);
  if (s.ring_bits !== 32 || !Number.isInteger(s.total_weight) || (s.total_weight ?? 0) < s.n_train) {
    throw new Error(
      `the train task's secure aggregation has ring_bits ${String(s.ring_bits)} and total_weight ${String(s.total_weight)}: expected 32 with an integer total ≥ this site's n_train ${s.n_train} (a coordinator of another version?)`,
    );
  }
  return gridLayout(global, s.shares, { norm: s.clip_norm, totalWeight: s.total_weight as number });
}

/** `delta`'s tensors in `global`'s order (the order the coordinator's layout takes). */
function inGlobalOrder(global: readonly NamedTensor[], delta: readonly NamedTensor[]): NamedTensor[] {
  const byName = new Map(delta.map((t) => [t.name, t]));
  return global.map((g) => {
    const t = byName.get(g.name);
    if (!t) throw new Error(`the update has no tensor "${g.name}" of the global model: check the training`);
    return t;
  });
}

/**
 * δ scaled to ‖δ‖₂ ≤ c (a hair inside, so float32 rounding of the scaled values cannot cross c);
 * throws on a non-finite value, naming the tensor. Returns the norm before clipping.
 *
 * @example clipped([{ name: 'w', shape: [2], values: Float32Array.of(3, 4) }], 1) // norm 5, values ≈ (0.6, 0.8)
 */
export function clipped(delta: readonly NamedTensor[], c: number): { tensors: NamedTensor[]; norm: number } {
  let squares = 0;
  for (const t of delta) {
    for (let i = 0; i < t.values.length; i++) {
      const v = t.values[i] as number;
      if (!Number.isFinite(v))
        throw new Error(`update "${t.name}" value ${v} at index ${i} is not finite: check the training`);
      squares += v * v;
    }
  }
  const norm = Math.sqrt(squares);
  const limit = c * (1 - 1e-6);
  if (norm <= limit) return { tensors: [...delta], norm };
  const scale = limit / norm;
  return {
    tensors: delta.map((t) => ({ ...t, values: t.values.map((v) => v * scale) })),
    norm,
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `secure aggregation: ${what} did not arrive within ${ms / 1000} s; the round goes on without this site`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
