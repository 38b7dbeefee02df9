import {
  MONITOR_NAMESPACE,
  MonitorEvent,
  type MetricsReceivedEvent,
  type MonitorClientToServerEvents,
  type MonitorServerToClientEvents,
  type RoundStateEvent,
  type SiteStatusEvent,
  type TrainingProgressEvent,
  type TransferProgressEvent,
} from '@fedaln/protocol';
import type { Namespace, Server } from 'socket.io';
import type { AdminAuthService } from '../auth/admin-auth.service';
import { MonitorFeed } from '../orchestration/monitor-feed';

export type MonitorNamespace = Namespace<MonitorClientToServerEvents, MonitorServerToClientEvents>;

/** Transfer progress is throttled per (site, direction): a DenseNet201 upload has 80 frames. */
const PROGRESS_EVERY_MS = 250;

/**
 * The lead's live view on `/monitor`: admin token in the handshake (`auth: { token }`), read-only,
 * pushed round states, site status (each site's latest one also on connecting), transfer progress
 * and received metrics.
 *
 * @example
 * const feed = new SocketMonitorFeed(io, adminAuth); // pass as the orchestrator's MonitorFeed
 */
export class SocketMonitorFeed extends MonitorFeed {
  private readonly nsp: MonitorNamespace;
  private readonly lastProgress = new Map<string, number>();
  /** Each site's latest status, sent to a monitor when it connects (statuses are otherwise pushed only). */
  private readonly statuses = new Map<string, SiteStatusEvent>();

  constructor(io: Server, admin: AdminAuthService) {
    super();
    // One socket.io server carries both namespaces; this one has its own event map.
    this.nsp = io.of(MONITOR_NAMESPACE) as unknown as MonitorNamespace;
    this.nsp.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as { token?: unknown }).token;
      if (typeof token !== 'string' || token === '') {
        next(new Error('unauthenticated: send the admin token as auth.token in the handshake'));
        return;
      }
      admin.verify(token).then(
        (ok) => next(ok ? undefined : new Error('unauthenticated: wrong admin token')),
        () => next(new Error('internal: the coordinator could not check the token; retry later')),
      );
    });
    this.nsp.on('connection', (socket) => {
      for (const e of this.statuses.values()) socket.emit(MonitorEvent.siteStatus, e);
    });
  }

  roundState(e: RoundStateEvent): void {
    this.nsp.emit(MonitorEvent.roundState, e);
  }

  siteStatus(e: SiteStatusEvent): void {
    this.statuses.set(e.site_id, e);
    this.nsp.emit(MonitorEvent.siteStatus, e);
  }

  transferProgress(e: TransferProgressEvent): void {
    const key = `${e.site_id}:${e.direction}`;
    const now = Date.now();
    if (e.bytes < e.total_bytes && now - (this.lastProgress.get(key) ?? 0) < PROGRESS_EVERY_MS) return;
    this.lastProgress.set(key, now);
    this.nsp.emit(MonitorEvent.transferProgress, e);
  }

  metricsReceived(e: MetricsReceivedEvent): void {
    this.nsp.emit(MonitorEvent.metricsReceived, e);
  }

  /** Sites throttle their own progress (≤ 2/s), so every accepted event is passed on. */
  trainingProgress(e: TrainingProgressEvent): void {
    this.nsp.emit(MonitorEvent.trainingProgress, e);
  }
}
