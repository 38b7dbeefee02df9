import { describe, expect, it } from '@jest/globals';
import { addressKey, clientAddress } from './client-address';

// Reference: MDN "X-Forwarded-For" (selecting an IP address: the right-most entry not added by a
// trusted proxy); RFC 4291 §2.2 for IPv6 text forms.
describe('clientAddress', () => {
  const proxies = new Set(['10.0.0.2', '10.0.0.3']);
  it.each([
    ['198.51.100.1', undefined, new Set<string>(), '198.51.100.1'],
    ['::ffff:198.51.100.1', undefined, new Set<string>(), '198.51.100.1'],
    // No trusted proxy configured: the header is the client's to forge, so it is ignored.
    ['198.51.100.1', '203.0.113.7', new Set<string>(), '198.51.100.1'],
    // A peer that is not a trusted proxy: its header is ignored too.
    ['198.51.100.1', '203.0.113.7', proxies, '198.51.100.1'],
    ['10.0.0.2', '203.0.113.7', proxies, '203.0.113.7'],
    // The client prepended a forged entry; the proxies appended the real one.
    ['10.0.0.2', '1.1.1.1, 203.0.113.7, 10.0.0.3', proxies, '203.0.113.7'],
    ['10.0.0.2', ['1.1.1.1', '203.0.113.7'], proxies, '203.0.113.7'],
    ['10.0.0.2', 'garbage', proxies, '10.0.0.2'],
  ])('peer %s, X-Forwarded-For %j → %s', (peer, xff, trusted, expected) => {
    expect(clientAddress(peer, xff, trusted)).toBe(expected);
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['2001:0db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
