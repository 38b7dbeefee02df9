import type { AckCallback } from '@fedaln/protocol';
import { Catch, Inject, type ArgumentsHost, type WsExceptionFilter } from '@nestjs/common';
import { APP_LOGGER, type AppLogger } from '../telemetry/logger';
import { toProtocolError } from './socket-error';

/**
 * The WebSocket exception filter of the `/site` gateway: a handler's error becomes its failed ack
 * (`{ ok: false, code, message }`); an internal one is logged with the site and event; after a
 * `site_revoked` refusal the socket is closed.
 */
@Catch()
export class SiteExceptionFilter implements WsExceptionFilter {
  constructor(@Inject(APP_LOGGER) private readonly log: AppLogger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const ack: unknown = host.getArgByIndex(2);
    const failure = toProtocolError(error);
    if (failure.code === 'internal') {
      const client = ws.getClient<{ data?: { site_id?: string } }>();
      this.log.error(
        { err: error, siteId: client.data?.site_id, event: ws.getPattern() },
        'site request failed',
      );
    }
    if (typeof ack === 'function') (ack as AckCallback)({ ok: false, ...failure });
    // A revoked site's socket is closed once it has the reason (the ack goes out first).
    if (failure.code === 'site_revoked')
      ws.getClient<{ disconnect?: (close: boolean) => void }>().disconnect?.(true);
  }
}
