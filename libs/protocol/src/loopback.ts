import * as net from 'node:net';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches ::ffff:127.x.y.z against the IPv4 rule

/**
 * True for a host only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (bracketed or not,
 * and its IPv4-mapped form). `0.0.0.0`, `::`, names and every other address may cross a network, so
 * the coordinator refuses to serve plain HTTP on them and the site client to send a token over them
 * in clear (RFC 6890 for the loopback blocks).
 *
 * @example isLoopbackHost('127.0.0.1') // true
 * @example isLoopbackHost('[::1]') // true
 * @example isLoopbackHost('0.0.0.0') // false
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  const family = net.isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4');
}
