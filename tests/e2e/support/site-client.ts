/**
 * A scripted site for e2e tests: a typed socket.io client of `/site` built on `@fedaln/protocol`
 * (the same contract the real site client uses), with helpers for each step of a round.
 */
import {
  ChunkSender,
  SITE_NAMESPACE,
  SiteEvent,
  type Ack,
  type ClientToServerEvents,
  type HelloPayload,
  type ServerToClientEvents,
  type SiteMetricsReport,
  type TaskPayload,
  type TrainProgressPayload,
  type UploadBeginAccepted,
} from '@fedaln/protocol';
import { io, type Socket } from 'socket.io-client';

export type SiteSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 30_000;

export const HELLO: HelloPayload = {
  engine: 'cpu',
  cores: 2,
  gpu: null,
  n_train: 100,
  n_test: 25,
  client_version: 'e2e',
  images_per_s: 3.5,
};

/**
 * A typed socket.io client of the namespace at `url`, authenticated with `token`; resolves once
 * connected, rejects with the server's connect_error message.
 */
export function connectWithToken<S extends Socket>(
  url: string,
  token: string,
  extraHeaders: Record<string, string> = {},
): Promise<S> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket as unknown as S));
    socket.once('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });
}

/** Connects to `/site` with `token`; resolves once connected, rejects with the server's connect_error message. */
export function connectSite(
  baseUrl: string,
  token: string,
  extraHeaders: Record<string, string> = {},
): Promise<SiteSocket> {
  return connectWithToken<SiteSocket>(baseUrl + SITE_NAMESPACE, token, extraHeaders);
}

/** Throws the refusal's `code: message` when an ack is not ok. */
export function expectOk<T extends object>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`${ack.code}: ${ack.message}`);
  return ack;
}

/** One reported training step (events.ts `TrainProgressPayload` without study, round and epochs). */
export type TrainStep = Omit<TrainProgressPayload, 'study_id' | 'round' | 'epochs'>;

export class ScriptedSite {
  private readonly tasks: TaskPayload[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly socket: SiteSocket) {
    socket.on(SiteEvent.task, (task) => {
      this.tasks.push(task);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(baseUrl: string, token: string, hello: HelloPayload = HELLO): Promise<ScriptedSite> {
    const site = new ScriptedSite(await connectSite(baseUrl, token));
    expectOk(await site.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(SiteEvent.hello, hello));
    return site;
  }

  /** The next task of `kind` for `round` (of `studyId` when given); other tasks stay queued. */
  async task(
    kind: TaskPayload['kind'],
    round: number,
    timeoutMs = 60_000,
    studyId?: string,
  ): Promise<TaskPayload> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.tasks.findIndex(
        (t) => t.kind === kind && t.round === round && (studyId === undefined || t.study_id === studyId),
      );
      if (i >= 0) return this.tasks.splice(i, 1)[0] as TaskPayload;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no ${kind} task for round ${round} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Downloads the task's model frame by frame. */
  async download(task: TaskPayload): Promise<Uint8Array> {
    const s = this.socket.timeout(ACK_TIMEOUT_MS);
    const begin = expectOk(
      await s.emitWithAck(SiteEvent.downloadBegin, {
        study_id: task.study_id,
        round: task.round,
        model_sha256: task.model_sha256,
      }),
    );
    const out = new Uint8Array(begin.bytes);
    for (let index = 0; index < begin.frames; index++) {
      const frame = expectOk(
        await s.emitWithAck(SiteEvent.downloadFrame, { download_id: begin.download_id, index }),
      );
      out.set(new Uint8Array(frame.data), index * begin.frame_bytes);
    }
    return out;
  }

  uploadBegin(task: TaskPayload, blob: { bytes: Uint8Array; sha256: string }, nTrain: number) {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(SiteEvent.uploadBegin, {
      study_id: task.study_id,
      round: task.round,
      sha256: blob.sha256,
      bytes: blob.bytes.length,
      n_train: nTrain,
    });
  }

  /** Sends frames `from`…`to` (exclusive) of an upload with `ChunkSender` (its default frames in flight). */
  async sendFrames(begin: UploadBeginAccepted, bytes: Uint8Array, to?: number): Promise<void> {
    const part = to === undefined ? bytes : bytes.subarray(0, Math.min(bytes.length, to * begin.frame_bytes));
    const sender = new ChunkSender(
      part,
      (index, data) =>
        this.socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck(SiteEvent.uploadFrame, { upload_id: begin.upload_id, index, data }),
      { frameBytes: begin.frame_bytes },
    );
    await sender.send(begin.next_frame);
  }

  uploadEnd(uploadId: string) {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(SiteEvent.uploadEnd, { upload_id: uploadId });
  }

  /** upload:begin → frames → upload:end; returns the end ack (ok or the refusal). */
  async upload(task: TaskPayload, blob: { bytes: Uint8Array; sha256: string }, nTrain: number) {
    const begin = await this.uploadBegin(task, blob, nTrain);
    if (!begin.ok) return begin;
    await this.sendFrames(begin, blob.bytes);
    return this.uploadEnd(begin.upload_id);
  }

  /** `train:progress` for the task's study, in `round` (the task's unless given). */
  trainProgress(task: TaskPayload, step: TrainStep, round = task.round) {
    return this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(SiteEvent.trainProgress, { study_id: task.study_id, round, epochs: task.epochs, ...step });
  }

  report(task: TaskPayload, report: SiteMetricsReport) {
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(SiteEvent.metricsReport, {
      study_id: task.study_id,
      round: task.round,
      model_version: task.model_version,
      model_sha256: task.model_sha256,
      report,
    });
  }

  close(): void {
    this.socket.close();
  }
}
