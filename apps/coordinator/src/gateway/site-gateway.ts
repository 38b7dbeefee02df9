import {
  SITE_NAMESPACE,
  SiteEvent,
  type AckCallback,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '@fedaln/protocol';
import type { Server } from 'socket.io';
import type { SiteAuthService } from '../auth/site-auth.service';
import type { SiteSession, SiteSessions } from '../orchestration/site-sessions';
import type { SiteIntake } from '../orchestration/site-intake';
import type { UploadIntake } from '../orchestration/upload-intake';
import type { SiteRepository } from '../sites/site.repository';
import type { StudyRepository } from '../studies/study.repository';
import {
  DownloadBeginDto,
  DownloadFrameDto,
  HelloDto,
  MetricsReportDto,
  TrainProgressDto,
  UploadBeginDto,
  UploadEndDto,
} from './site-dtos';
import { SocketRefusal, toProtocolError } from './socket-error';
import { validatePayload } from './validate-payload';

export type SiteServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface SiteGatewayDeps {
  readonly siteAuth: SiteAuthService;
  readonly sites: SiteRepository;
  readonly studies: StudyRepository;
  readonly intake: SiteIntake;
  readonly uploads: UploadIntake;
  readonly sessions: SiteSessions;
  readonly log: { error(obj: object, msg: string): void };
}

/** A site answers `features:stats` from memory; a busy one is left out of the fit, not waited for. */
const FEATURE_STATS_TIMEOUT_MS = 15_000;

/** Upload frames are the hot path (80 per DenseNet201 update): checked by hand, not by a DTO. */
function uploadFrame(raw: unknown): { upload_id: string; index: number; data: Uint8Array } {
  const f = raw as { upload_id?: unknown; index?: unknown; data?: unknown } | null;
  if (typeof f?.upload_id !== 'string') throw new SocketRefusal('bad_request', 'upload_id must be a string');
  if (!Number.isInteger(f.index)) throw new SocketRefusal('bad_request', 'index must be an integer');
  if (!(f.data instanceof Uint8Array))
    throw new SocketRefusal('bad_request', 'data must be binary (a Uint8Array)');
  return { upload_id: f.upload_id, index: f.index as number, data: f.data };
}

/**
 * The `/site` namespace (thin edge, STYLE.md habit 1): the handshake authenticates the site's
 * enrolment token (`auth: { token }`), and each event validates its payload, calls one `SiteIntake`
 * method (`SiteIntake`, `UploadIntake`) with the socket's own site id, and acks the result or the coded refusal.
 *
 * @example
 * attachSiteGateway(io, { siteAuth, sites, studies, intake, uploads, sessions, log });
 */
export function attachSiteGateway(io: SiteServer, deps: SiteGatewayDeps): void {
  const { intake, uploads, log } = deps;
  const nsp = io.of(SITE_NAMESPACE);

  nsp.use((socket, next) => {
    const token: unknown = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') {
      next(new Error('unauthenticated: send the site enrolment token as auth.token in the handshake'));
      return;
    }
    deps.siteAuth
      .authenticate(token)
      .then(async (siteId) => {
        if (!siteId) {
          next(
            new Error(
              'unauthenticated: the enrolment token is unknown or its site was revoked; ask the lead for a new one',
            ),
          );
          return;
        }
        socket.data.site_id = siteId;
        socket.data.site_name = (await deps.sites.findById(siteId))?.name ?? siteId;
        next();
      })
      .catch((e: unknown) => {
        log.error({ err: e }, 'site handshake failed');
        next(new Error('internal: the coordinator could not check the token; retry later'));
      });
  });

  nsp.on('connection', (socket) => {
    const siteId = socket.data.site_id;
    const session: SiteSession = {
      siteId,
      send: (task) => socket.emit(SiteEvent.task, task),
      hello: null,
      featureStats: (req) =>
        socket.timeout(FEATURE_STATS_TIMEOUT_MS).emitWithAck(SiteEvent.featuresStats, req),
    };
    deps.sessions.connect(session);

    const respond = async <T extends object>(
      ack: AckCallback<T>,
      work: () => T | Promise<T>,
    ): Promise<void> => {
      if (typeof ack !== 'function') return;
      try {
        ack({ ok: true, ...(await work()) });
      } catch (e) {
        const error = toProtocolError(e);
        if (error.code === 'internal') log.error({ err: e, siteId }, 'site request failed');
        ack({ ok: false, ...error });
      }
    };

    socket.on(
      SiteEvent.hello,
      (raw, ack) =>
        void respond(ack, async () => intake.hello(session, await validatePayload(HelloDto, raw))),
    );
    socket.on(
      SiteEvent.downloadBegin,
      (raw, ack) =>
        void respond(ack, async () =>
          intake.downloadBegin(siteId, await validatePayload(DownloadBeginDto, raw)),
        ),
    );
    socket.on(
      SiteEvent.downloadFrame,
      (raw, ack) =>
        void respond(ack, async () =>
          intake.downloadFrame(siteId, await validatePayload(DownloadFrameDto, raw)),
        ),
    );
    socket.on(
      SiteEvent.uploadBegin,
      (raw, ack) =>
        void respond(ack, async () => uploads.begin(siteId, await validatePayload(UploadBeginDto, raw))),
    );
    socket.on(
      SiteEvent.uploadFrame,
      (raw, ack) => void respond(ack, () => uploads.frame(siteId, uploadFrame(raw))),
    );
    socket.on(
      SiteEvent.uploadEnd,
      (raw, ack) =>
        void respond(ack, async () => uploads.end(siteId, await validatePayload(UploadEndDto, raw))),
    );
    socket.on(
      SiteEvent.metricsReport,
      (raw, ack) =>
        void respond(ack, async () => {
          await intake.metricsReport(siteId, await validatePayload(MetricsReportDto, raw));
          return {};
        }),
    );
    socket.on(
      SiteEvent.trainProgress,
      (raw, ack) =>
        void respond(ack, async () => {
          await intake.trainProgress(siteId, await validatePayload(TrainProgressDto, raw));
          return {};
        }),
    );
    socket.on('disconnect', () => {
      deps.sessions.disconnect(session);
      void deps.studies.list().then(
        (studies) =>
          intake.left(
            session,
            studies.filter((s) => s.spec.sites.includes(siteId)),
          ),
        (e: unknown) => log.error({ err: e }, 'site disconnect bookkeeping failed'),
      );
    });
  });
}
