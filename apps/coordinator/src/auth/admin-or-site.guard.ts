import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../http/http-types';
import { bearerToken } from './bearer';
import { BearerAuth, originOf } from './bearer-auth';

/**
 * The admin token or a site's enrolment token (401 otherwise, 429 past the failed-auth limit);
 * which site may see what is the service's decision.
 */
@Injectable()
export class AdminOrSiteGuard implements CanActivate {
  constructor(private readonly bearer: BearerAuth) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    req.principal = await this.bearer.authenticate(
      bearerToken(req.headers.authorization),
      originOf(req),
      'admin-or-site',
      'send the admin token or a site enrolment token as "Authorization: Bearer <token>"',
    );
    return true;
  }
}
