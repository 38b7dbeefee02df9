import {
  SITE_NAMESPACE,
  SiteEvent,
  type ClientToServerEvents,
  type DownloadBeginAccepted,
  type DownloadBeginPayload,
  type DownloadFramePayload,
  type HelloPayload,
  type MetricsReportPayload,
  type TrainProgressPayload,
  type UploadBeginPayload,
  type UploadEndPayload,
  type DownloadFrameAccepted,
  type HelloAccepted,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type UploadBeginAccepted,
  type UploadEndAccepted,
  type UploadFrameAccepted,
  type UploadFramePayload,
} from '@fedaln/protocol';
import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { BearerAuth, originOf } from '../auth/bearer-auth';
import { SiteStanding } from '../auth/site-standing';
import { ModelDownloads } from '../blobs/model-downloads';
import { DomainError } from '../domain/domain-error';
import { MetricsIntake } from '../evaluation/metrics-intake';
import { SiteArrivals } from '../rounds/site-arrivals';
import { SitePresence, type SiteSession } from '../rounds/site-presence';
import { TrainingProgressRelay } from '../rounds/training-progress';
import { LiveSiteSessions } from '../sites/live-site-sessions';
import { SiteRepository } from '../sites/site.repository';
import { APP_LOGGER, type AppLogger } from '../telemetry/logger';
import { UploadIntake } from '../uploads/upload-intake';
import { SecureAggregationService } from '../secure-aggregation/secure-aggregation.service';
import { secaggKeys, secaggShares } from './secagg-payloads';
import {
  DownloadBeginDto,
  DownloadFrameDto,
  HelloDto,
  MetricsReportDto,
  TrainProgressDto,
  UploadBeginDto,
  UploadEndDto,
} from './site-dtos';
import { SiteExceptionFilter } from './site-exception.filter';
import { handshakeRefusal } from './socket-error';
import { SiteStandingGuard } from './site-standing.guard';
import { SOCKET_SERVER_OPTIONS } from './socket-options';
import { SocketValidationPipe } from './socket-validation.pipe';

type SiteNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type SiteSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

const REVOKED_OR_UNKNOWN =
  'the enrolment token is unknown or its site was revoked; ask the lead for a new one';

/** A site answers `features:stats` from memory; a busy one is left out of the fit, not waited for. */
const FEATURE_STATS_TIMEOUT_MS = 15_000;
/** A survivor answers `secagg:unmask` from memory; one silent this long counts as dropped. */
const SECAGG_UNMASK_TIMEOUT_MS = 30_000;

/** Validates a payload against its DTO (STYLE.md habit 2); failures ack `bad_request` via the filter. */
const valid = <T extends object>(dto: new () => T) => new SocketValidationPipe(dto);

/** Upload frames are the hot path (80 per DenseNet201 update): checked by hand, not by a DTO. */
export function uploadFrame(raw: unknown): UploadFramePayload {
  const f = raw as { upload_id?: unknown; index?: unknown; data?: unknown } | null;
  if (typeof f?.upload_id !== 'string') throw new DomainError('INVALID_INPUT', 'upload_id must be a string');
  if (!Number.isInteger(f.index)) throw new DomainError('INVALID_INPUT', 'index must be an integer');
  if (!(f.data instanceof Uint8Array))
    throw new DomainError('INVALID_INPUT', 'data must be binary (a Uint8Array)');
  return { upload_id: f.upload_id, index: f.index as number, data: f.data };
}

const ok = <T extends object>(result: T): { ok: true } & T => ({ ok: true, ...result });

/**
 * The `/site` namespace (thin edge, STYLE.md habit 1). Who may call: a site whose enrolment token
 * the handshake authenticated (`auth: { token }`); it acts only as itself — the site id comes from
 * the socket, never from a payload. Each event validates its payload, calls one service method and
 * acks `{ ok: true, … }`; a thrown error is acked `{ ok: false, code, message }` by
 * `SiteExceptionFilter`. Before each handler `SiteStandingGuard` re-checks that the site is still
 * active; as the `LiveSiteSessions` adapter, revoking a site closes its sockets here at once.
 */
@WebSocketGateway({ namespace: SITE_NAMESPACE, ...SOCKET_SERVER_OPTIONS })
@UseFilters(SiteExceptionFilter)
@UseGuards(SiteStandingGuard)
export class SiteGateway
  extends LiveSiteSessions
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect
{
  private readonly sessions = new WeakMap<SiteSocket, SiteSession>();
  private nsp: SiteNamespace | null = null;

  constructor(
    private readonly bearer: BearerAuth,
    private readonly standing: SiteStanding,
    private readonly sites: SiteRepository,
    private readonly presence: SitePresence,
    private readonly arrivals: SiteArrivals,
    private readonly downloads: ModelDownloads,
    private readonly uploads: UploadIntake,
    private readonly metrics: MetricsIntake,
    private readonly progress: TrainingProgressRelay,
    private readonly secure: SecureAggregationService,
    @Inject(APP_LOGGER) private readonly log: AppLogger,
  ) {
    super();
  }

  /** Revocation (LiveSiteSessions): refuse the site's requests from now on and close its sockets. */
  end(siteId: string): void {
    this.standing.revoked(siteId);
    for (const socket of this.nsp?.sockets.values() ?? []) {
      if (socket.data.site_id !== siteId) continue;
      socket.emit(SiteEvent.error, {
        code: 'site_revoked',
        message:
          'the lead revoked this site; ask the lead to enrol the hospital again for a new enrolment token',
      });
      socket.disconnect(true);
    }
  }

  /** The handshake: a site's enrolment token, or the connection is refused with what to do. */
  afterInit(nsp: SiteNamespace): void {
    this.nsp = nsp;
    nsp.use((socket, next) => {
      const token: unknown = (socket.handshake.auth as { token?: unknown }).token;
      if (typeof token !== 'string' || token === '') {
        next(new Error('unauthenticated: send the site enrolment token as auth.token in the handshake'));
        return;
      }
      this.bearer
        .authenticate(token, originOf(socket.handshake), 'site', REVOKED_OR_UNKNOWN)
        .then(async (principal) => {
          const siteId = principal.kind === 'site' ? principal.siteId : '';
          if (this.standing.isRevoked(siteId)) {
            next(handshakeRefusal(new DomainError('UNAUTHENTICATED', REVOKED_OR_UNKNOWN)));
            return;
          }
          socket.data.site_id = siteId;
          socket.data.site_name = (await this.sites.findById(siteId))?.name ?? siteId;
          next();
        })
        .catch((e: unknown) => {
          if (!(e instanceof DomainError)) this.log.error({ err: e }, 'site handshake failed');
          next(handshakeRefusal(e));
        });
    });
  }

  handleConnection(socket: SiteSocket): void {
    const session: SiteSession = {
      siteId: socket.data.site_id,
      send: (task) => socket.emit(SiteEvent.task, task),
      hello: null,
      featureStats: (req) =>
        socket.timeout(FEATURE_STATS_TIMEOUT_MS).emitWithAck(SiteEvent.featuresStats, req),
      secagg: {
        roster: (p) => socket.emit(SiteEvent.secaggRoster, p),
        deliver: (p) => socket.emit(SiteEvent.secaggDeliver, p),
        unmask: (req) => socket.timeout(SECAGG_UNMASK_TIMEOUT_MS).emitWithAck(SiteEvent.secaggUnmask, req),
      },
      nomogramStats: (req) =>
        socket.timeout(FEATURE_STATS_TIMEOUT_MS).emitWithAck(SiteEvent.nomogramStats, req),
      nomogramCompare: (req) =>
        socket.timeout(FEATURE_STATS_TIMEOUT_MS).emitWithAck(SiteEvent.nomogramCompare, req),
      studyFinished: (payload) => socket.emit(SiteEvent.studyFinished, payload),
    };
    this.sessions.set(socket, session);
    this.presence.connect(session);
  }

  handleDisconnect(socket: SiteSocket): void {
    const session = this.sessions.get(socket);
    if (session) this.arrivals.left(session);
  }

  @SubscribeMessage(SiteEvent.hello)
  async hello(@ConnectedSocket() socket: SiteSocket, @MessageBody(valid(HelloDto)) hello: HelloPayload) {
    return ok<HelloAccepted>(await this.arrivals.hello(this.session(socket), hello));
  }

  @SubscribeMessage(SiteEvent.downloadBegin)
  async downloadBegin(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(DownloadBeginDto)) req: DownloadBeginPayload,
  ) {
    return ok<DownloadBeginAccepted>(await this.downloads.begin(socket.data.site_id, req));
  }

  @SubscribeMessage(SiteEvent.downloadFrame)
  downloadFrame(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(DownloadFrameDto)) req: DownloadFramePayload,
  ) {
    return ok<DownloadFrameAccepted>(this.downloads.frame(socket.data.site_id, req));
  }

  @SubscribeMessage(SiteEvent.uploadBegin)
  async uploadBegin(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(UploadBeginDto)) req: UploadBeginPayload,
  ) {
    return ok<UploadBeginAccepted>(await this.uploads.begin(socket.data.site_id, req));
  }

  @SubscribeMessage(SiteEvent.uploadFrame)
  uploadFrame(@ConnectedSocket() socket: SiteSocket, @MessageBody() raw: unknown) {
    return ok<UploadFrameAccepted>(this.uploads.frame(socket.data.site_id, uploadFrame(raw)));
  }

  @SubscribeMessage(SiteEvent.uploadEnd)
  async uploadEnd(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(UploadEndDto)) req: UploadEndPayload,
  ) {
    return ok<UploadEndAccepted>(await this.uploads.end(socket.data.site_id, req));
  }

  @SubscribeMessage(SiteEvent.secaggKeys)
  secaggKeys(@ConnectedSocket() socket: SiteSocket, @MessageBody() raw: unknown) {
    this.secure.advertise(socket.data.site_id, secaggKeys(raw));
    return ok({});
  }

  @SubscribeMessage(SiteEvent.secaggShares)
  secaggShares(@ConnectedSocket() socket: SiteSocket, @MessageBody() raw: unknown) {
    this.secure.shareKeys(socket.data.site_id, secaggShares(raw));
    return ok({});
  }

  @SubscribeMessage(SiteEvent.metricsReport)
  async metricsReport(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(MetricsReportDto)) req: MetricsReportPayload,
  ) {
    await this.metrics.report(socket.data.site_id, req);
    return ok({});
  }

  @SubscribeMessage(SiteEvent.trainProgress)
  async trainProgress(
    @ConnectedSocket() socket: SiteSocket,
    @MessageBody(valid(TrainProgressDto)) req: TrainProgressPayload,
  ) {
    await this.progress.relay(socket.data.site_id, req);
    return ok({});
  }

  private session(socket: SiteSocket): SiteSession {
    const session = this.sessions.get(socket);
    if (!session) throw new Error(`no session for socket ${socket.id}`);
    return session;
  }
}
