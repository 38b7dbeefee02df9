import type { InjectionToken, Provider } from '@nestjs/common';

/**
 * A DI token: a class or abstract class (a port is its own token; a private constructor is fine),
 * or a symbol for a non-class value.
 */
export type Token<T> = { readonly prototype: T } | symbol;

/**
 * A factory provider whose injected tokens are checked against the factory's parameters, so the
 * plain (framework-free) services stay plain and the wiring still type-checks.
 *
 * @example
 * factory(SiteAuthService, [SiteRepository], (s) => new SiteAuthService(s));
 */
export function factory<T, D extends unknown[]>(
  provide: Token<T>,
  inject: { readonly [K in keyof D]: Token<D[K]> },
  make: (...deps: D) => T,
): Provider {
  return {
    provide: provide as InjectionToken,
    inject: [...(inject as readonly InjectionToken[])],
    useFactory: make,
  };
}
