import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChunkReceiver,
  frameCount,
  FrameServer,
  SITE_NAMESPACE,
  SiteEvent,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type TaskPayload,
} from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import type { SiteSocket } from '../run/site-socket';
import { downloadModel } from './download-model';
import type { UploadState } from './upload-state';
import { uploadUpdate } from './upload-update';
import { WorkDir } from './work-dir';

/**
 * The client's transfers against a scripted `/site` server on loopback (real socket.io both ends),
 * with 100-byte frames so a small blob spans many frames.
 */
const FRAME = 100;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytes = Uint8Array.from({ length: 1234 }, (_, i) => (i * 7 + 3) & 0xff); // 13 frames, last 34 bytes

/** What the scripted coordinator holds: an upload resumed at `held` frames, refusing frame `refuseAt`. */
const server = { held: 0, refuseAt: -1, received: new Uint8Array(bytes.length), ended: false, model: bytes };
let io_: Server<ClientToServerEvents, ServerToClientEvents>;
let url = '';
let socket: SiteSocket;

beforeAll(async () => {
  const http = createServer();
  io_ = new Server(http);
  io_.of(SITE_NAMESPACE).on('connection', (s) => {
    let rx: ChunkReceiver | null = null;
    s.on(SiteEvent.downloadBegin, (_req, ack) =>
      ack({ ok: true, download_id: 'd1', ...new FrameServer(server.model, FRAME).describe() }),
    );
    s.on(SiteEvent.downloadFrame, ({ index }, ack) => ack(new FrameServer(server.model, FRAME).frame(index)));
    s.on(SiteEvent.uploadBegin, (req, ack) => {
      rx = new ChunkReceiver({
        totalBytes: req.bytes,
        sha256: req.sha256,
        frameBytes: FRAME,
        resumeFrom: server.held,
        sink: (chunk, offset) => server.received.set(chunk, offset),
      });
      rx.replay(server.received.subarray(0, server.held * FRAME));
      ack({ ok: true, upload_id: 'u1', next_frame: server.held, frame_bytes: FRAME });
    });
    s.on(SiteEvent.uploadFrame, ({ index, data }, ack) => {
      if (index === server.refuseAt) ack({ ok: false, code: 'deadline_passed', message: 'round 2 closed' });
      else ack(rx!.accept(index, data));
    });
    s.on(SiteEvent.uploadEnd, (_req, ack) => {
      const done = rx!.finish();
      server.ended = done.ok;
      ack(done);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  socket = io(`${url}${SITE_NAMESPACE}`, { transports: ['websocket'] });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
});

afterAll(async () => {
  socket.close();
  await io_.close();
});

async function workDir(): Promise<WorkDir> {
  const work = new WorkDir(await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-site-transfer-')));
  await work.init();
  return work;
}

const state = (): UploadState => ({
  study_id: 's',
  round: 2,
  model_version: 1,
  sha256: sha(bytes),
  bytes: bytes.length,
  n_train: 32,
  next_frame: 0,
  frames: frameCount(bytes.length),
});

describe('uploadUpdate', () => {
  it('resumes where the coordinator says its copy ends and removes the saved upload once accepted', async () => {
    const work = await workDir();
    // The coordinator already holds frames 0..4 from an earlier session.
    Object.assign(server, { held: 5, refuseAt: -1, received: new Uint8Array(bytes.length), ended: false });
    server.received.set(bytes.subarray(0, 5 * FRAME));
    await work.saveUpload(state(), bytes);
    const progress: number[] = [];
    const done = await uploadUpdate(socket, work, state(), bytes, {
      onProgress: (p) => progress.push(p.nextFrame),
    });
    expect(done).toEqual({ sha256: sha(bytes) });
    expect(server.ended).toBe(true);
    expect(server.received).toEqual(bytes);
    expect(Math.min(...progress)).toBeGreaterThan(5); // frames 0..4 were not sent again
    expect(progress.at(-1)).toBe(13); // ⌈1234 / 100⌉
    expect(await work.pendingUpload('s', 2)).toBeNull();
  });

  it('keeps the saved upload, advanced to the acknowledged prefix, when the coordinator refuses a frame', async () => {
    const work = await workDir();
    Object.assign(server, { held: 0, refuseAt: 7, received: new Uint8Array(bytes.length), ended: false });
    await work.saveUpload(state(), bytes);
    await expect(uploadUpdate(socket, work, state(), bytes, { inFlight: 1 })).rejects.toMatchObject({
      code: 'deadline_passed',
      nextFrame: 7,
    });
    const kept = await work.pendingUpload('s', 2);
    expect(kept?.state).toMatchObject({ next_frame: 7, frames: 13 }); // frames 0..6 acknowledged
  });
});

describe('downloadModel', () => {
  const task = (model_sha256: string): TaskPayload => ({
    kind: 'train',
    study_id: 's',
    round: 1,
    model_version: 0,
    model_sha256,
    model_bytes: bytes.length,
    arch: 'densenet-tiny',
    input_size: 32,
    rounds: 1,
    epochs: 1,
    batch_size: 8,
    learning_rate: 1e-3,
    deadline: '2026-01-01T00:00:00Z',
  });

  it('assembles frames, checks the sha256 and caches the model in the work dir', async () => {
    const work = await workDir();
    server.model = bytes;
    expect(await downloadModel(socket, task(sha(bytes)), work)).toEqual(bytes);
    server.model = new Uint8Array(bytes.length); // the server now serves zeros: the cache must answer
    expect(Buffer.from(await downloadModel(socket, task(sha(bytes)), work)).equals(Buffer.from(bytes))).toBe(
      true,
    );
  });

  it('refuses bytes that do not hash to the announced sha256, and does not cache them', async () => {
    const work = await workDir();
    server.model = bytes;
    const wrong = 'f'.repeat(64);
    await expect(downloadModel(socket, task(wrong), work)).rejects.toThrow(
      `the downloaded global model v0 is not the one the task announced: received bytes hash to ${sha(bytes)}, announced ${wrong}; not used`,
    );
    expect(await work.cachedModel(sha(bytes))).toBeNull();
  });

  it("refuses a download:begin whose size is not the task's, before setting memory aside for it", async () => {
    const work = await workDir();
    server.model = bytes;
    const t = { ...task(sha(bytes)), model_bytes: bytes.length + 1 };
    await expect(downloadModel(socket, t, work)).rejects.toThrow(
      `download:begin of model v0 announced ${bytes.length} bytes; the task said ${bytes.length + 1}`,
    );
  });
});
