/**
 * The bearer tokens the coordinator issues carry a public id before their secret, so checking one
 * costs one row lookup and at most one scrypt, and a token of unknown id or shape costs none:
 *
 *   site (enrolment) token  `fa_<token id>_<secret>`   token id: the enrolment token row's UUID
 *   admin token             `fa_admin_<secret>`         the one admin row
 *
 * The secret is 256 bits as base64url (43 characters, `newSecret`); only its salted scrypt hash is
 * stored. Tokens issued before the prefix existed still parse to the same row and secret, so they
 * keep working without a migration: a site's `<token id>.<secret>`, and a generated admin token
 * (the bare 43-character secret). Anything else parses to null and is refused without hashing.
 *
 * @example
 * parseBearerToken(formatEnrolmentToken(id, secret)); // { kind: 'site', tokenId: id, secret }
 * parseBearerToken('fa_admin_' + secret); // { kind: 'admin', secret }
 * parseBearerToken('guess'); // null
 */
export type ParsedToken =
  | { readonly kind: 'site'; readonly tokenId: string; readonly secret: string }
  | { readonly kind: 'admin'; readonly secret: string };

export const TOKEN_PREFIX = 'fa_';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** `newSecret`'s shape: 32 random bytes as base64url. */
const SECRET = '[A-Za-z0-9_-]{43}';
const SITE = new RegExp(`^fa_(${UUID})_(${SECRET})$`);
const ADMIN = new RegExp(`^fa_admin_(${SECRET})$`);
const LEGACY_SITE = new RegExp(`^(${UUID})\\.([A-Za-z0-9_-]{20,})$`);
const LEGACY_ADMIN = new RegExp(`^(${SECRET})$`);

export function formatEnrolmentToken(tokenId: string, secret: string): string {
  return `${TOKEN_PREFIX}${tokenId}_${secret}`;
}

export function formatAdminToken(secret: string): string {
  return `${TOKEN_PREFIX}admin_${secret}`;
}

export function parseBearerToken(token: string): ParsedToken | null {
  let m = SITE.exec(token) ?? LEGACY_SITE.exec(token);
  if (m?.[1] && m[2]) return { kind: 'site', tokenId: m[1], secret: m[2] };
  m = ADMIN.exec(token) ?? LEGACY_ADMIN.exec(token);
  if (m?.[1]) return { kind: 'admin', secret: m[1] };
  return null;
}
