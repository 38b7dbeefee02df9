/**
 * An enrolment token is `<token id>.<secret>`: the id finds the stored hash without scanning, the
 * 256-bit secret is what is hashed and verified.
 *
 * @example
 * parseEnrolmentToken(formatEnrolmentToken(id, secret)); // { tokenId: id, secret }
 */
export function formatEnrolmentToken(tokenId: string, secret: string): string {
  return `${tokenId}.${secret}`;
}

const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{20,})$/;

export function parseEnrolmentToken(token: string): { tokenId: string; secret: string } | null {
  const m = TOKEN.exec(token);
  return m && m[1] && m[2] ? { tokenId: m[1], secret: m[2] } : null;
}
