/**
 * Issue 14, cheap denial of service through authentication. Before: every bearer token cost a full
 * scrypt (the admin check ran first on any token, then the site check: two for a site token on an
 * admin-or-site route), with no limit, so 120 garbage requests cost 4.2 s of CPU and starved the
 * libuv pool the static files are read on. Now a token names its row (`fa_<id>_<secret>`): an
 * unknown id or a malformed token costs no scrypt, a valid one at most one (none when it verified
 * in the last 10 minutes); failed attempts are limited per client address (20, then one per 3 s;
 * FAILED_AUTH_RATE) before any lookup, answered 429 / `rate_limited`; successes are not counted. scrypt calls are counted with a spy on
 * `node:crypto`'s `scrypt` (the function secret-hash.ts calls), not by timing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectSite } from '../e2e/support/site-client';
import { fromBuild, startInProcess, type InProcessCoordinator } from './support/in-process-coordinator';

jest.setTimeout(120_000);

/** The coordinator's FAILED_AUTH_RATE burst (auth/bearer-auth.ts). */
const FAILED_AUTH_BURST = 20;

const crypto = fromBuild<typeof import('node:crypto')>('node:crypto');
const realScrypt = crypto.scrypt;
const secret = () => randomBytes(32).toString('base64url');

describe('what a bearer token costs (issue 14)', () => {
  let coordinator: InProcessCoordinator;
  let site: { id: string; token: string };
  let scrypt: jest.Spied<typeof crypto.scrypt>;

  beforeAll(async () => {
    coordinator = await startInProcess('auth-cost');
    site = await coordinator.enrol('Hospital Auth');
    scrypt = jest.spyOn(crypto, 'scrypt');
  });
  afterAll(async () => {
    scrypt?.mockRestore();
    await coordinator?.close();
  });

  /** GET `path` with `token` as client `from` (loopback is a trusted proxy here). */
  const get = (path: string, token: string | null, from: string) =>
    fetch(coordinator.baseUrl + path, {
      headers: {
        'x-forwarded-for': from,
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
    });

  /** scrypt calls made while `run` runs. */
  async function scryptsDuring(run: () => Promise<unknown>): Promise<number> {
    scrypt.mockClear();
    await run();
    return scrypt.mock.calls.length;
  }

  it('a token of unknown id or malformed shape costs no scrypt; a valid token one, and its repeats none', async () => {
    const unknownId = [
      `fa_${randomUUID()}_${secret()}`, // the site token shape, an id no row has
      `${randomUUID()}.${secret()}`, // the pre-prefix site token shape
    ];
    const malformed = ['x', `fa_admin_${secret()}!`, `fa_${randomUUID()}_short`, 'a'.repeat(200)];
    let statuses: number[] = [];
    const garbage = await scryptsDuring(async () => {
      const asked = [
        ...[...unknownId, ...malformed].map((t) => get('/api/sites', t, '198.51.100.1')),
        ...[...unknownId, ...malformed].map((t) => get('/api/releases', t, '198.51.100.2')),
        get('/api/sites', site.token, '198.51.100.3'), // a site's valid token on an admin route
      ];
      statuses = (await Promise.all(asked)).map((r) => r.status);
    });
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(garbage).toBe(0);

    const N = 5;
    const admin = await scryptsDuring(async () => {
      for (let i = 0; i < N; i++)
        expect((await get('/api/sites', coordinator.adminToken, '198.51.100.4')).status).toBe(200);
    });
    expect(admin).toBe(1); // verified once; the lead's next calls find it among recent successes
    const siteOnShared = await scryptsDuring(async () => {
      for (let i = 0; i < N; i++)
        expect((await get('/api/releases', site.token, '198.51.100.5')).status).toBe(200);
    });
    expect(siteOnShared).toBe(1); // before: N admin scrypts + N site scrypts
  });

  it('a failed-auth flood from one address gets 429 before any scrypt; another address still authenticates', async () => {
    const flood = 2 * FAILED_AUTH_BURST;
    let responses: Response[] = [];
    // Admin-shaped wrong tokens: each one that is checked costs a scrypt, so this is the costly flood.
    const spent = await scryptsDuring(async () => {
      responses = await Promise.all(
        Array.from({ length: flood }, () => get('/api/sites', `fa_admin_${secret()}`, '203.0.113.10')),
      );
    });
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(FAILED_AUTH_BURST);
    expect(statuses.filter((s) => s === 429)).toHaveLength(flood - FAILED_AUTH_BURST);
    expect(spent).toBe(FAILED_AUTH_BURST); // the refused ones cost none
    const refused = responses[statuses.indexOf(429)] as Response;
    expect(await refused.json()).toMatchObject({
      error: 'RATE_LIMITED',
      message: expect.stringMatching(/^too many failed authentications from 203\.0\.113\.10; retry in \d+ s/),
    });
    // The socket handshake shares the limit, and says so. The bucket refills one failure's worth
    // every windowMs / limit (3 s): on a loaded machine that can pass before the handshake arrives,
    // so drain it again (failed GETs until a 429) right before each try; a handshake that does not
    // share the limit passes every try and fails the test.
    const handshakes: string[] = [];
    for (let attempt = 0; attempt < 5 && !handshakes.some((m) => m.startsWith('rate_limited')); attempt++) {
      while ((await get('/api/sites', `fa_admin_${secret()}`, '203.0.113.10')).status !== 429);
      try {
        (await connectSite(coordinator.baseUrl, site.token, { 'x-forwarded-for': '203.0.113.10' })).close();
        handshakes.push('connected');
      } catch (e) {
        handshakes.push((e as Error).message);
      }
    }
    expect(handshakes.at(-1)).toMatch(/^rate_limited: too many failed authentications from 203\.0\.113\.10/);

    // Another address: the lead and the site authenticate as usual.
    expect((await get('/api/sites', coordinator.adminToken, '203.0.113.11')).status).toBe(200);
    const socket = await connectSite(coordinator.baseUrl, site.token, { 'x-forwarded-for': '203.0.113.11' });
    socket.close();
  });

  it('successful authentications are not counted: more than the burst of them all pass', async () => {
    const ok = [];
    for (let i = 0; i < 2 * FAILED_AUTH_BURST; i++)
      ok.push((await get('/api/sites', coordinator.adminToken, '203.0.113.12')).status);
    expect(ok.every((s) => s === 200)).toBe(true);
  });

  it('the dashboard is served without any token check', async () => {
    const spent = await scryptsDuring(async () => {
      const page = await get('/', `fa_admin_${secret()}`, '203.0.113.13');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    });
    expect(spent).toBe(0);
  });

  it('runs at most 2 scrypts at once (libuv threads stay free to read files); the rest wait in order', async () => {
    let inFlight = 0;
    let most = 0;
    scrypt.mockImplementation(((...args: unknown[]) => {
      most = Math.max(most, ++inFlight);
      const done = args[args.length - 1] as (err: Error | null, key: Buffer) => void;
      (realScrypt as unknown as (...a: unknown[]) => void)(
        ...args.slice(0, -1),
        (err: Error | null, key: Buffer) => {
          inFlight--;
          done(err, key);
        },
      );
    }) as unknown as typeof crypto.scrypt);
    try {
      const spent = await scryptsDuring(async () => {
        const statuses = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            get('/api/sites', `fa_admin_${secret()}`, `203.0.113.${100 + i}`),
          ),
        );
        expect(statuses.map((r) => r.status)).toEqual(Array(12).fill(401));
      });
      expect(spent).toBe(12);
      expect(most).toBe(2);
    } finally {
      scrypt.mockImplementation(realScrypt);
    }
  });
});
