import { SecureSessions } from './secure-aggregation';
import {
  ChunkTransferError,
  SITE_NAMESPACE,
  SiteEvent,
  type HelloPayload,
  type TaskPayload,
} from '@fedaln/protocol';
import { io } from 'socket.io-client';
import type { SiteData } from '../data/site-data';
import type { ProgressLine } from '../progress/progress-line';
import { CoordinatorTlsError, type CoordinatorTls } from '../tls/coordinator-tls';
import type { WorkDir } from '../transfer/work-dir';
import { backoffDelay } from './backoff';
import { runEvaluateTask } from './evaluate-task';
import { answerFeatureStats } from './feature-baseline';
import { servesLastRound } from './last-round';
import { ProtocolRefusal, request, type SiteSocket } from './site-socket';
import type { TaskContext } from './task-context';
import { TaskQueue } from './task-queue';
import { ValidationScores } from './validation-scores';
import { runTrainTask } from './train-task';

export interface SessionOptions {
  coordinator: string;
  token: string;
  /** The pinned TLS trust for an https:// coordinator; null for plain http://. */
  tls: CoordinatorTls | null;
  hello: HelloPayload;
  work: WorkDir;
  data: SiteData;
  progress: ProgressLine;
  log: (line: string) => void;
  seed: number;
  inputSize: number;
  canTrain: boolean;
  canEvaluate: boolean;
  once: boolean;
  idleExitS: number;
  signal: AbortSignal;
}

/**
 * `run --once` after a study's last round: how long it waits for the coordinator's `study:finished`
 * (the post-training fits take a few requests per site) before it exits anyway.
 */
export const POST_TRAINING_WAIT_S = 600;

/** How a session ended, as the process exit code: 0 done or stopped, 1 refused for good. */
export type SessionEnd = 0 | 1;

/** A refused handshake: retrying cannot help, the token must change. */
function isAuthFailure(err: Error & { data?: unknown }): boolean {
  const data = err.data as { code?: string } | undefined;
  // The coordinator refuses a handshake with `unauthenticated: <reason>` (apps/coordinator gateway).
  return data?.code === 'unauthenticated' || err.message.startsWith('unauthenticated');
}

/**
 * The pin refusal behind a failed connection, if that is why it failed: engine.io reports a websocket
 * failure as an error whose `description` is ws's ErrorEvent, carrying the TLS handshake's error.
 */
function tlsRefusal(err: Error & { description?: unknown }): CoordinatorTlsError | null {
  const cause = (err.description as { error?: unknown } | undefined)?.error;
  return cause instanceof CoordinatorTlsError ? cause : null;
}

/** Lost connection vs. a refusal or a local failure: only the first is worth retrying as is. */
function isTransportFailure(err: unknown, socket: SiteSocket): boolean {
  if (err instanceof ProtocolRefusal) return false;
  if (err instanceof ChunkTransferError) return err.code === 'transport';
  return !socket.connected || (err instanceof Error && /timed? ?out|disconnect/i.test(err.message));
}

/**
 * The connected life of `fedaln-site run`: connect to `/site` with the enrolment token, say `hello`,
 * run tasks one at a time, reconnect with capped exponential backoff whenever the link drops (a
 * coordinator restart included) and pick up an interrupted task after `hello`.
 *
 * @example const code = await runSession({ coordinator, token, hello, work, data, ... });
 */
export function runSession(o: SessionOptions): Promise<SessionEnd> {
  const socket: SiteSocket = io(`${o.coordinator}${SITE_NAMESPACE}`, {
    auth: { token: o.token },
    reconnection: false, // one policy, ours (backoff.ts), for every way a connection can fail
    transports: ['websocket', 'polling'],
    ...o.tls?.socketOptions(),
  });
  const queue = new TaskQueue();
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let running = false;
  let tasksDone = 0;
  let ended = false;
  let finish!: (code: SessionEnd) => void;
  const done = new Promise<SessionEnd>((resolve) => (finish = resolve));

  const end = (code: SessionEnd): void => {
    if (ended) return;
    ended = true;
    clearTimeout(reconnectTimer);
    clearTimeout(idleTimer);
    clearTimeout(finishWait);
    socket.close();
    finish(code);
  };
  o.signal.addEventListener('abort', () => end(0), { once: true });

  const scheduleReconnect = (why: string): void => {
    if (ended || reconnectTimer) return;
    const delay = backoffDelay(attempt++);
    o.log(`${why}; reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempt})`);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      socket.connect();
    }, delay);
  };

  const armIdleExit = (): void => {
    clearTimeout(idleTimer);
    if (o.idleExitS > 0 && tasksDone > 0 && !running && queue.size === 0) {
      idleTimer = setTimeout(() => {
        o.log(`no task for ${o.idleExitS} s; exiting (--idle-exit)`);
        end(0);
      }, o.idleExitS * 1000);
    }
  };

  // Studies the coordinator said are finished (`study:finished`, after its post-training fits).
  const finished = new Set<string>();
  let finishWait: NodeJS.Timeout | undefined;

  /**
   * `--once`: the study's last round has been served (its evaluate task reported or skipped). A study
   * with a validation split (issue 15) still needs this site's validation scores for the post-training
   * fits, so the site stays until the coordinator's `study:finished` (at most POST_TRAINING_WAIT_S).
   */
  const endIfLastRound = (task: TaskPayload): void => {
    if (!o.once || !servesLastRound(task)) return;
    if (!task.validation_fraction || finished.has(task.study_id)) {
      o.log(`round ${task.round} of ${task.rounds} was the study's last; exiting (--once)`);
      end(0);
      return;
    }
    o.log(
      `round ${task.round} of ${task.rounds} was the study's last; waiting for the coordinator's post-training fits (--once)`,
    );
    waitingFor = task.study_id;
    clearTimeout(finishWait);
    finishWait = setTimeout(() => {
      o.log(`no study:finished within ${POST_TRAINING_WAIT_S} s; exiting (--once)`);
      end(0);
    }, POST_TRAINING_WAIT_S * 1000);
  };
  let waitingFor: string | null = null;

  const validationScores = new ValidationScores();
  const ctx: TaskContext = {
    socket,
    work: o.work,
    data: o.data,
    progress: o.progress,
    log: o.log,
    seed: o.seed,
    // A coordinator that sends the study's input size with the task is followed; TaskPayload has none yet.
    inputSize: (task) => task.input_size ?? o.inputSize,
    signal: o.signal,
    secure: new SecureSessions(socket, o.log),
    validationScores,
  };

  const work = async (): Promise<void> => {
    if (running) return;
    running = true;
    clearTimeout(idleTimer);
    try {
      for (let task = queue.take(); task && !ended && socket.connected; task = queue.take()) {
        const what = `${task.kind} task, study ${task.study_id} round ${task.round} (model v${task.model_version})`;
        if ((task.kind === 'train' && !o.canTrain) || (task.kind === 'evaluate' && !o.canEvaluate)) {
          o.log(`skipping ${what}: the data folder has too few cases for it (see the data report above)`);
          queue.finish(task);
          endIfLastRound(task);
          continue;
        }
        o.log(`${what}: started`);
        try {
          await (task.kind === 'train' ? runTrainTask(task, ctx) : runEvaluateTask(task, ctx));
          queue.finish(task);
          tasksDone++;
          endIfLastRound(task);
        } catch (err) {
          o.progress.end();
          if (ended) break;
          if (isTransportFailure(err, socket)) {
            o.log(`${what}: interrupted (${(err as Error).message}); will continue after reconnecting`);
            queue.retry(task);
            break;
          }
          o.log(`${what}: failed: ${(err as Error).message}`);
          queue.finish(task);
          // Served either way: e.g. the last report, stored by a coordinator that crashed before its
          // ack, is refused when resent after the restart; `--once` must still wait or exit, not hang.
          endIfLastRound(task);
        }
      }
    } finally {
      running = false;
      armIdleExit();
    }
  };

  socket.on('connect', () => {
    attempt = 0;
    void (async () => {
      try {
        const accepted = await request(socket, SiteEvent.hello, o.hello);
        o.log(
          `connected to ${o.coordinator} as site ${accepted.site_id} (coordinator ${accepted.server_version})`,
        );
        void work();
      } catch (err) {
        o.log(`hello failed: ${(err as Error).message}`);
        if (err instanceof ProtocolRefusal && (err.code === 'unauthenticated' || err.code === 'site_revoked'))
          end(1);
        else {
          socket.disconnect();
          scheduleReconnect('hello not accepted');
        }
      }
    })();
  });
  socket.on(SiteEvent.task, (task) => {
    if (queue.offer(task)) void work();
  });
  socket.on(SiteEvent.featuresStats, (req, ack) => void answerFeatureStats(o.data, req).then(ack));
  socket.on(SiteEvent.nomogramStats, (req, ack) => ack(validationScores.answer(req)));
  socket.on(SiteEvent.nomogramCompare, (req, ack) => ack(validationScores.compare(req)));
  socket.on(SiteEvent.studyFinished, (p) => {
    if (typeof p?.study_id !== 'string') return;
    finished.add(p.study_id);
    o.log(
      `study ${p.study_id} finished${p.nomogram ? `; nomogram fitted for round ${p.round} (ships with its release)` : ''}`,
    );
    if (o.once && waitingFor === p.study_id) {
      o.log('exiting (--once)');
      end(0);
    }
  });
  socket.on(SiteEvent.error, (e) => {
    o.log(`coordinator error: ${e.code}: ${e.message}`);
    if (e.code === 'unauthenticated' || e.code === 'site_revoked') end(1);
  });
  socket.on('connect_error', (err) => {
    if (isAuthFailure(err)) {
      o.log(
        `the coordinator refused the enrolment token (${err.message}); ask the lead for a new one and pass it with --token or FEDALN_SITE_TOKEN`,
      );
      end(1);
      return;
    }
    // The coordinator's key changed since this run pinned it (a restart behind an interceptor):
    // retrying cannot help, and the token must not go there.
    const refusal = tlsRefusal(err);
    if (refusal) {
      o.log(`fedaln-site run: REFUSED: ${refusal.message}`);
      end(1);
      return;
    }
    scheduleReconnect(`cannot reach ${o.coordinator} (${err.message})`);
  });
  socket.on('disconnect', (reason) => {
    if (ended) return;
    o.progress.end();
    scheduleReconnect(`disconnected (${reason})`);
  });
  return done;
}
