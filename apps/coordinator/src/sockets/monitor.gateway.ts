import {
  MONITOR_NAMESPACE,
  MonitorEvent,
  type MetricsReceivedEvent,
  type MonitorClientToServerEvents,
  type MonitorServerToClientEvents,
  type SiteStatusEvent,
  type TrainingProgressEvent,
  type TransferProgressEvent,
} from '@fedaln/protocol';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { BearerAuth, originOf } from '../auth/bearer-auth';
import { effectOf, type RoundChange } from '../rounds/round-changes';
import { MonitorFeed } from '../telemetry/monitor-feed';
import { handshakeRefusal } from './socket-error';
import { SOCKET_SERVER_OPTIONS } from './socket-options';

type MonitorNamespace = Namespace<MonitorClientToServerEvents, MonitorServerToClientEvents>;

/** Transfer progress is throttled per (site, direction): a DenseNet201 upload has 80 frames. */
const PROGRESS_EVERY_MS = 250;

/**
 * The lead's live view on `/monitor`. Who may call: the lead, with the admin token in the handshake
 * (`auth: { token }`); read-only. Pushed: every round change that moves a round's state (opened,
 * training, aggregating, evaluating, completed, failed — aborts and failed aggregations included),
 * site status (each site's latest one also on connecting), transfer progress and received metrics.
 * It is the app's `MonitorFeed`.
 */
@WebSocketGateway({ namespace: MONITOR_NAMESPACE, ...SOCKET_SERVER_OPTIONS })
export class MonitorGateway extends MonitorFeed implements OnGatewayInit, OnGatewayConnection {
  private nsp: MonitorNamespace | null = null;
  private readonly lastProgress = new Map<string, number>();
  /** Each site's latest status, sent to a monitor when it connects (statuses are otherwise pushed only). */
  private readonly statuses = new Map<string, SiteStatusEvent>();

  constructor(private readonly bearer: BearerAuth) {
    super();
  }

  afterInit(nsp: MonitorNamespace): void {
    this.nsp = nsp;
    nsp.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as { token?: unknown }).token;
      if (typeof token !== 'string' || token === '') {
        next(new Error('unauthenticated: send the admin token as auth.token in the handshake'));
        return;
      }
      this.bearer.authenticate(token, originOf(socket.handshake), 'admin', 'wrong admin token').then(
        () => next(),
        (e: unknown) => next(handshakeRefusal(e)),
      );
    });
  }

  handleConnection(socket: Socket<MonitorClientToServerEvents, MonitorServerToClientEvents>): void {
    for (const e of this.statuses.values()) socket.emit(MonitorEvent.siteStatus, e);
  }

  /** A round change, pushed when the round's state moved, it opened, or it is tried again. */
  onChange(change: RoundChange): void {
    const { study, round, from } = change;
    if (from === round.state && !effectOf(change, 'retryRound')) return;
    this.nsp?.emit(MonitorEvent.roundState, {
      study_id: study.id,
      round: round.number,
      state: round.state,
      at: new Date().toISOString(),
    });
  }

  siteStatus(e: SiteStatusEvent): void {
    this.statuses.set(e.site_id, e);
    this.nsp?.emit(MonitorEvent.siteStatus, e);
  }

  transferProgress(e: TransferProgressEvent): void {
    const key = `${e.site_id}:${e.direction}`;
    const now = Date.now();
    if (e.bytes < e.total_bytes && now - (this.lastProgress.get(key) ?? 0) < PROGRESS_EVERY_MS) return;
    this.lastProgress.set(key, now);
    this.nsp?.emit(MonitorEvent.transferProgress, e);
  }

  metricsReceived(e: MetricsReceivedEvent): void {
    this.nsp?.emit(MonitorEvent.metricsReceived, e);
  }

  /** Sites throttle their own progress (≤ 2/s), so every accepted event is passed on. */
  trainingProgress(e: TrainingProgressEvent): void {
    this.nsp?.emit(MonitorEvent.trainingProgress, e);
  }
}
