import type { SocketData } from '@fedaln/protocol';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SiteStanding } from '../auth/site-standing';

/**
 * Every `/site` request of a live session re-checks the site's standing before its handler runs
 * (the handshake alone is not enough: a site may be revoked while connected). A refusal is the
 * domain error SITE_REVOKED, which SiteExceptionFilter acks as `site_revoked` and then closes the socket.
 */
@Injectable()
export class SiteStandingGuard implements CanActivate {
  constructor(private readonly standing: SiteStanding) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const socket = context.switchToWs().getClient<{ data: SocketData }>();
    await this.standing.check(socket, socket.data.site_id);
    return true;
  }
}
