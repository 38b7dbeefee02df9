/** Who is calling: the consortium lead (admin token) or an enrolled site (its enrolment token). */
export type Principal = { readonly kind: 'admin' } | { readonly kind: 'site'; readonly siteId: string };

/** The audit log's `actor` for a principal. */
export function actorOf(p: Principal | 'cli' | 'system'): string {
  if (p === 'cli' || p === 'system') return p;
  return p.kind === 'admin' ? 'admin' : `site:${p.siteId}`;
}
