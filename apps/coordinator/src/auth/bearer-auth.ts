import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '../domain/domain-error';
import { KeyedRateLimit } from '../domain/keyed-rate-limit';
import type { AdminAuthService } from './admin-auth.service';
import { addressKey, clientAddress } from './client-address';
import type { Principal } from './principal';
import type { SiteAuthService } from './site-auth.service';

/** Which principals an entry point lets in. */
export type Admits = 'admin' | 'site' | 'admin-or-site';

/** Where a request came from: the TCP peer and the `X-Forwarded-For` header, if any. */
export interface RequestOrigin {
  readonly peer: string | undefined;
  readonly forwardedFor: string | string[] | undefined;
}

export interface BearerAuthOptions {
  /** `FEDALN_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client (`clientAddress`). */
  readonly trustedProxies?: readonly string[];
  readonly rate?: { readonly limit: number; readonly windowMs: number; readonly maxKeys?: number };
  readonly now?: () => number;
}

/**
 * Failed authentications allowed per address: a burst of 20, then one every 3 s (20 a minute). A
 * scrypt costs ~50 ms of a libuv thread, so one address keeps under 2 % of one thread busy; a
 * site or lead that mistyped a token has 20 tries before waiting.
 */
export const FAILED_AUTH_RATE = { limit: 20, windowMs: 60_000, maxKeys: 10_000 } as const;

/**
 * Every bearer-token check of the coordinator — REST guards and the `/site` and `/monitor`
 * handshakes — goes through here: failed authentications are limited per client address
 * ({@link FAILED_AUTH_RATE}, `addressKey`), and the limit is checked before the token is looked at,
 * so an address past it costs neither a lookup nor a scrypt. A token is taken from the address's
 * bucket before the check (so parallel guesses cannot all slip past the limit) and given back when
 * the token verifies: a site or lead that authenticates is never limited by its own successes.
 *
 * @example
 * const origin = { peer: req.socket.remoteAddress, forwardedFor: req.headers['x-forwarded-for'] };
 * const principal = await bearer.authenticate(token, origin, 'admin', 'send the admin token');
 */
export class BearerAuth {
  private readonly failures: KeyedRateLimit;
  private readonly trustedProxies: ReadonlySet<string>;

  constructor(
    private readonly admin: AdminAuthService,
    private readonly sites: SiteAuthService,
    options: BearerAuthOptions = {},
  ) {
    this.failures = new KeyedRateLimit(options.rate ?? FAILED_AUTH_RATE, options.now);
    this.trustedProxies = new Set(options.trustedProxies ?? []);
  }

  /**
   * The principal `token` authenticates as, among those `admits` lets in. Throws RATE_LIMITED
   * (saying when to retry) when the client's address has used up its failed attempts, otherwise
   * UNAUTHENTICATED with `refusal` when the token is missing, malformed, unknown or wrong.
   */
  async authenticate(
    token: string | null,
    origin: RequestOrigin,
    admits: Admits,
    refusal: string,
  ): Promise<Principal> {
    const address = clientAddress(origin.peer, origin.forwardedFor, this.trustedProxies);
    const key = addressKey(address);
    const decision = this.failures.take(key);
    if (!decision.ok) {
      throw new DomainError(
        'RATE_LIMITED',
        `too many failed authentications from ${address}; retry in ${Math.ceil(decision.retryInMs / 1000)} s with the right token`,
        { retry_in_ms: decision.retryInMs },
      );
    }
    const principal = token === null ? null : await this.check(token, admits);
    if (!principal) throw new DomainError('UNAUTHENTICATED', refusal);
    this.failures.giveBack(key);
    return principal;
  }

  private async check(token: string, admits: Admits): Promise<Principal | null> {
    if (admits !== 'site' && (await this.admin.verify(token))) return { kind: 'admin' };
    if (admits === 'admin') return null;
    const siteId = await this.sites.authenticate(token);
    return siteId ? { kind: 'site', siteId } : null;
  }
}

/**
 * The origin of an HTTP request or a socket.io handshake (whose `address` is the TCP peer).
 *
 * @example
 * bearer.authenticate(token, originOf(socket.handshake), 'site', '…');
 */
export function originOf(
  req:
    | { readonly socket: { readonly remoteAddress?: string }; readonly headers: IncomingHttpHeaders }
    | { readonly address: string; readonly headers: IncomingHttpHeaders },
): RequestOrigin {
  const peer = 'address' in req ? req.address : req.socket.remoteAddress;
  return { peer, forwardedFor: req.headers['x-forwarded-for'] };
}
