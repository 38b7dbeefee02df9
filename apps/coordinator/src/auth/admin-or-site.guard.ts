import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '../domain/domain-error';
import type { HttpRequest } from '../http/http-types';
import { AdminAuthService } from './admin-auth.service';
import { bearerToken } from './bearer';
import { SiteAuthService } from './site-auth.service';

/** The admin token or a site's enrolment token; which site may see what is the service's decision. */
@Injectable()
export class AdminOrSiteGuard implements CanActivate {
  constructor(
    private readonly admin: AdminAuthService,
    private readonly sites: SiteAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const token = bearerToken(req.headers.authorization);
    if (token && (await this.admin.verify(token))) {
      req.principal = { kind: 'admin' };
      return true;
    }
    const siteId = token ? await this.sites.authenticate(token) : null;
    if (!siteId)
      throw new DomainError(
        'UNAUTHENTICATED',
        'send the admin token or a site enrolment token as "Authorization: Bearer <token>"',
      );
    req.principal = { kind: 'site', siteId };
    return true;
  }
}
