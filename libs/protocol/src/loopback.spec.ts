import { describe, expect, it } from '@jest/globals';
import { isLoopbackHost } from './loopback';

describe('isLoopbackHost', () => {
  // Loopback blocks from RFC 6890 (127.0.0.0/8, ::1/128); "localhost" by RFC 6761 §6.3.
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    'localhost',
    'LOCALHOST',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));
  it.each([
    '0.0.0.0',
    '::',
    '192.0.2.2',
    '10.0.0.1',
    'fd00::2',
    '128.0.0.1',
    'coordinator',
    'localhost.example.org',
    '',
  ])('%s is not loopback', (host) => expect(isLoopbackHost(host)).toBe(false));
});
