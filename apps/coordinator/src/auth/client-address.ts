import { isIP } from 'node:net';

/**
 * The address a request came from, for limiting failed authentications: the TCP peer, unless that
 * peer is one of the reverse proxies the lead listed in `FEDALN_TRUSTED_PROXIES`; then the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy appends the
 * address it received from, so entries left of the last untrusted one may be forged by the client;
 * MDN "X-Forwarded-For", "Selecting an IP address"). Without trusted proxies the header is ignored:
 * a client could otherwise pick a fresh address for every request. IPv4-mapped IPv6 addresses are
 * written as IPv4.
 *
 * @example
 * clientAddress('10.0.0.2', '203.0.113.7, 10.0.0.2', new Set(['10.0.0.2'])); // '203.0.113.7'
 * clientAddress('198.51.100.1', '203.0.113.7', new Set()); // '198.51.100.1'
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: ReadonlySet<string>,
): string {
  const remote = normalise(peer ?? 'unknown');
  if (!trustedProxies.has(remote) || forwardedFor === undefined) return remote;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => normalise(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return remote; // a malformed chain: count it against the proxy itself
    if (!trustedProxies.has(hop)) return hop;
  }
  return hops[0] ?? remote;
}

/**
 * The key failed authentications are counted under: an IPv4 address, or an IPv6 address's /64
 * prefix (one host usually has a whole /64, RFC 7421, so per-address keys would not limit it).
 *
 * @example
 * addressKey('2001:db8:1:2:aaaa::1'); // '2001:db8:1:2::/64'
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function normalise(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (m?.[1] ?? address).toLowerCase();
}

/** The eight hextets of an IPv6 address, without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const middle = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...middle, ...right].map((h) =>
    /^[0-9a-f]+$/i.test(h) ? parseInt(h, 16).toString(16) : h,
  );
}
