/**
 * Type tests for the socket contract, in the style of socket.io's own `socket.io.test-d.ts`: the
 * `@ts-expect-error` lines must fail to compile (`npm run typecheck` errors if one compiles), so a
 * wrong event name or payload on either side is caught by the compiler. The functions are never
 * called: only their types matter. The runtime tests check the name tables.
 */
import { describe, expect, it } from '@jest/globals';
import type { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import {
  MonitorEvent,
  SiteEvent,
  type ClientToServerEvents,
  type InterServerEvents,
  type MonitorServerToClientEvents,
  type ServerToClientEvents,
  type SocketData,
  type TaskPayload,
} from './events';

type SiteServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type SiteSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const task: TaskPayload = {
  kind: 'train',
  study_id: 's1',
  round: 1,
  model_version: 1,
  model_sha256: 'ab',
  model_bytes: 10,
  arch: 'densenet-tiny',
  input_size: 32,
  rounds: 1,
  epochs: 1,
  batch_size: 8,
  learning_rate: 1e-4,
  deadline: '2026-01-01T00:00:00Z',
};

export function serverSideTypes(io: SiteServer): void {
  io.of('/site').on('connection', (socket) => {
    socket.emit(SiteEvent.task, task);
    socket.emit(SiteEvent.error, { code: 'wrong_round', message: 'round 2 is over' });
    // @ts-expect-error an event the server never sends to sites
    socket.emit('tsak', task);
    // @ts-expect-error a task without its deadline
    socket.emit(SiteEvent.task, { ...task, deadline: undefined });
    socket.emit(SiteEvent.task, { ...task, strategy: { name: 'fedprox', mu: 0.01 } });
    // @ts-expect-error a fedprox task without its μ
    socket.emit(SiteEvent.task, { ...task, strategy: { name: 'fedprox' } });
    // @ts-expect-error FedAdam is the coordinator's alone: sites train it as fedavg
    socket.emit(SiteEvent.task, { ...task, strategy: { name: 'fedadam' } });
    // @ts-expect-error an error code outside PROTOCOL_ERROR_CODES
    socket.emit(SiteEvent.error, { code: 'oops', message: 'x' });
    socket.emit(SiteEvent.featuresStats, { study_id: 's1', beta: [0, 0] }, (res) => {
      if (res.ok && res.stats) {
        const info: number[] = res.stats.information;
        void info;
      }
    });
    // @ts-expect-error β travels as a JSON number array, not a Float64Array
    socket.emit(SiteEvent.featuresStats, { study_id: 's1', beta: new Float64Array(2) }, () => undefined);

    socket.on(SiteEvent.uploadFrame, (frame, ack) => {
      const index: number = frame.index;
      ack({ ok: true, index, next_frame: index + 1 });
      ack({ ok: false, code: 'bad_frame', message: 'frame 3 has 10 bytes, expected 1048576' });
      // @ts-expect-error a success ack missing next_frame
      ack({ ok: true, index });
      // @ts-expect-error a failure ack without a code
      ack({ ok: false, message: 'no' });
    });
    socket.on(SiteEvent.hello, (hello) => {
      const engine: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' = hello.engine;
      void engine;
      // @ts-expect-error hello has no patient data field
      void hello.images;
    });
    // @ts-expect-error a misspelt client event
    socket.on('upload:fram', () => undefined);
    const ref = { study_id: 's1', round: 1, round_tag: 's1/1/1' };
    socket.on(SiteEvent.secaggKeys, (keys, ack) => {
      const cPublic: Uint8Array = keys.c_public;
      void cPublic;
      ack({ ok: true });
    });
    socket.emit(SiteEvent.secaggRoster, {
      ...ref,
      roster: [{ site: 1, c_public: new Uint8Array(32), s_public: new Uint8Array(32) }],
    });
    // @ts-expect-error keys are binary, never base64 strings in JSON
    socket.emit(SiteEvent.secaggRoster, { ...ref, roster: [{ site: 1, c_public: 'AA', s_public: 'AA' }] });
    socket.emit(SiteEvent.secaggUnmask, { ...ref, survivors: [1, 2], dropped: [3] }, (res) => {
      if (res.ok) {
        const y: Uint8Array | undefined = res.self_shares[0]?.y;
        void y;
      }
    });
    // @ts-expect-error an unmask request must say which sites dropped
    socket.emit(SiteEvent.secaggUnmask, { ...ref, survivors: [1, 2] }, () => undefined);
    const siteId: string = socket.data.site_id;
    void siteId;
  });
}

export function clientSideTypes(socket: SiteSocket): void {
  socket.on(SiteEvent.task, (t) => {
    const kind: 'train' | 'evaluate' = t.kind;
    void kind;
  });
  socket.emit(
    SiteEvent.uploadBegin,
    { study_id: 's', round: 1, sha256: 'ab', bytes: 3, n_train: 10 },
    (res) => {
      if (res.ok) {
        const next: number = res.next_frame;
        void next;
      } else {
        const code: string = res.code;
        void code;
      }
    },
  );
  socket.emit(SiteEvent.uploadFrame, { upload_id: 'u', index: 0, data: new Uint8Array(4) }, () => undefined);
  // @ts-expect-error frame data must be binary, not a JSON array of numbers
  socket.emit(SiteEvent.uploadFrame, { upload_id: 'u', index: 0, data: [1, 2, 3] }, () => undefined);
  // @ts-expect-error upload:begin without n_train
  socket.emit(SiteEvent.uploadBegin, { study_id: 's', round: 1, sha256: 'ab', bytes: 3 }, () => undefined);
  // @ts-expect-error sites cannot send task events
  socket.emit(SiteEvent.task, task);
  socket.on(SiteEvent.featuresStats, (req, ack) => {
    ack({ ok: true, stats: null, reason: `no feature columns for ${req.study_id}` });
    // @ts-expect-error statistics are aggregates: a site cannot answer with case rows
    ack({ ok: true, rows: [[21.5, 1, 0, 1]] });
  });
  const progress = { study_id: 's', round: 1, epoch: 1, epochs: 2, batch: 3, batches: 10, loss: 0.69 };
  socket.emit(SiteEvent.trainProgress, { ...progress, images_per_s: 4.2 }, () => undefined);
  // @ts-expect-error training progress without its throughput
  socket.emit(SiteEvent.trainProgress, progress, () => undefined);
  // @ts-expect-error the site's id comes from its socket, never from the payload
  socket.emit(SiteEvent.trainProgress, { ...progress, images_per_s: 4.2, site_id: 'x' }, () => undefined);
  const ref = { study_id: 's', round: 1, round_tag: 's/1/1' };
  socket.emit(
    SiteEvent.secaggShares,
    { ...ref, shares: [{ to: 2, sealed: new Uint8Array(160) }] },
    () => undefined,
  );
  // @ts-expect-error a sealed share names its recipient
  socket.emit(SiteEvent.secaggShares, { ...ref, shares: [{ sealed: new Uint8Array(160) }] }, () => undefined);
  // @ts-expect-error sites do not ask for the unmasking
  socket.emit(SiteEvent.secaggUnmask, { ...ref, survivors: [1], dropped: [] }, () => undefined);
  socket.on(SiteEvent.secaggUnmask, (req, ack) => {
    ack({
      ok: true,
      self_shares: req.survivors.map((of) => ({ of, y: new Uint8Array(66) })),
      key_shares: [],
    });
    // @ts-expect-error shares are binary, not bigints
    ack({ ok: true, self_shares: [{ of: 1, y: 5n }], key_shares: [] });
  });
  // @ts-expect-error sites do not request statistics from the coordinator
  socket.emit(SiteEvent.featuresStats, { study_id: 's', beta: [0] }, () => undefined);
}

export function monitorTypes(io: Server<Record<string, never>, MonitorServerToClientEvents>): void {
  io.of('/monitor').emit(MonitorEvent.roundState, {
    study_id: 's',
    round: 1,
    state: 'aggregating',
    at: 'now',
  });
  const training = { study_id: 's', round: 1, epoch: 1, epochs: 2, batch: 3, batches: 10, loss: 0.69 };
  io.of('/monitor').emit(MonitorEvent.trainingProgress, { ...training, images_per_s: 4, site_id: 'a' });
  // @ts-expect-error the dashboard must know which site is training
  io.of('/monitor').emit(MonitorEvent.trainingProgress, { ...training, images_per_s: 4 });
  // @ts-expect-error a round state outside the round machine
  io.of('/monitor').emit(MonitorEvent.roundState, { study_id: 's', round: 1, state: 'paused', at: 'now' });
}

describe('event name tables', () => {
  // socket.io-client 4 throws on emitting these (RESERVED_EVENTS in build/cjs/socket.js).
  const reserved = [
    'connect',
    'connect_error',
    'disconnect',
    'disconnecting',
    'newListener',
    'removeListener',
  ];

  it.each([
    ['site', Object.values(SiteEvent)],
    ['monitor', Object.values(MonitorEvent)],
  ])('%s events are distinct and none is reserved by socket.io', (_ns, names) => {
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => reserved.includes(n))).toEqual([]);
  });
});
