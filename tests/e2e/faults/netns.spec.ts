/**
 * Issue 18, a real interface going down: the coordinator runs in one network namespace and site 1
 * in another (`ip netns` + veth pairs, made here, removed in afterAll even when a test fails), and
 * the site's interface is taken down mid-upload, left down until the site has noticed that its
 * connection is gone (socket.io's ping timeout), then brought up again: the site reconnects and
 * sends its update again, the round completes, and nothing is counted twice.
 *
 *   root namespace (this test, site 2, the relay)
 *     ├── veth A: 10.x.y.1/30  ⇄  10.x.y.2/30 in the coordinator's namespace (`serve --host 0.0.0.0`)
 *     └── veth B: 10.x.y.5/30  ⇄  10.x.y.6/30 in site 1's namespace (its only way out)
 *
 * Site 1 reaches the coordinator through the fault proxy (tests/e2e/support/fault-proxy.ts) listening
 * on 10.x.y.5 in the root namespace: it relays between the two namespaces (no IP forwarding to turn
 * on), caps the site's link at 64 KB/s so its 0.2 MB upload lasts seconds, and counts the bytes that
 * tell the upload is under way. Plain HTTP off loopback needs `--behind-proxy` on the coordinator and
 * `--insecure` on the sites: a test network with nothing else on it.
 *
 * Needs root and iproute2; elsewhere the suite is skipped, saying why.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { FaultProxy } from '../support/fault-proxy';
import type { SiteProcess } from '../support/site-process';
import { N_TRAIN, SmallFederation } from './small-federation';

jest.setTimeout(240_000);

// Names and addresses of this run (pid-derived: two runs on one machine do not collide).
const id = process.pid % 100_000;
const NS = { coordinator: `fedaln-c-${id}`, site: `fedaln-s-${id}` };
const VETH = { a: `fkA${id}r`, aPeer: `fkA${id}c`, b: `fkB${id}r`, bPeer: `fkB${id}s` };
const prefix = `10.${160 + (id % 64)}.${Math.floor(id / 64) % 256}`;
const ADDR = { root: `${prefix}.1`, coordinator: `${prefix}.2`, relay: `${prefix}.5`, site: `${prefix}.6` };

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
}

/** Why namespaces cannot be made here, or null when they can. */
function whyUnavailable(): string | null {
  if (process.platform !== 'linux') return `${process.platform} has no network namespaces`;
  if (process.getuid?.() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  const probe = `fedaln-probe-${id}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.error) return `no ip command (iproute2): ${made.error.message}`;
  if (made.status !== 0) return `ip netns add failed: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

function makeNetwork(): void {
  ip('netns', 'add', NS.coordinator);
  ip('netns', 'add', NS.site);
  for (const [ns, root, peer, rootAddr, peerAddr] of [
    [NS.coordinator, VETH.a, VETH.aPeer, ADDR.root, ADDR.coordinator],
    [NS.site, VETH.b, VETH.bPeer, ADDR.relay, ADDR.site],
  ] as const) {
    ip('link', 'add', root, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', `${rootAddr}/30`, 'dev', root);
    ip('link', 'set', root, 'up');
    ip('-n', ns, 'addr', 'add', `${peerAddr}/30`, 'dev', peer);
    ip('-n', ns, 'link', 'set', peer, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Removes what makeNetwork made, whatever of it exists (a veth's root end goes with its peer). */
function removeNetwork(): void {
  for (const ns of [NS.coordinator, NS.site]) spawnSync('ip', ['netns', 'del', ns]);
  for (const dev of [VETH.a, VETH.b]) spawnSync('ip', ['link', 'del', dev], { stdio: 'ignore' });
}

const unavailable = whyUnavailable();
const suite = unavailable ? describe.skip : describe;
if (unavailable)
  console.warn(`netns.spec.ts skipped: network namespaces cannot be made here: ${unavailable}`);

suite(`a site's interface down mid-upload${unavailable ? ` (SKIPPED: ${unavailable})` : ''}`, () => {
  let fed: SmallFederation;
  let proxy: FaultProxy;
  const sites: SiteProcess[] = [];

  beforeAll(async () => {
    removeNetwork(); // leftovers of a run of this pid that could not clean up
    makeNetwork();
    fed = await SmallFederation.create(
      'netns',
      {},
      {
        args: ['--host', '0.0.0.0', '--behind-proxy'],
        wrap: ['ip', 'netns', 'exec', NS.coordinator],
        host: ADDR.coordinator,
      },
    );
    proxy = await FaultProxy.start(
      fed.coordinator.port,
      { seed: 1818, bytesPerSecond: 64 * 1024 },
      { targetHost: ADDR.coordinator, listenHost: ADDR.relay },
    );
    sites.push(
      fed.runSite(1, proxy.url, { wrap: ['ip', 'netns', 'exec', NS.site], args: ['--insecure'] }),
      fed.runSite(2, fed.coordinator.baseUrl, { args: ['--insecure'] }),
    );
    await Promise.all(sites.map((s) => s.proc.waitForOutput(/connected to http/, 180_000)));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(sites.map((s) => s.proc.kill('SIGTERM')));
    if (fed) fed.keepLogs(sites);
    await proxy?.close();
    await fed?.coordinator.kill('SIGTERM');
    removeNetwork();
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toContain(NS.coordinator);
    expect(left).not.toContain(NS.site);
  });

  it('the round completes once the link is back, each update counted once', async () => {
    const uploadsBefore = await fed.uploadsAccepted();
    const studyId = await fed.startStudy();
    // Hello, acks and progress are a few KB; more than 64 KB going up is the update.
    await proxy.whenUpstreamPasses(64 * 1024, 'none');
    ip('-n', NS.site, 'link', 'set', VETH.bPeer, 'down');
    // Nothing passes now: the site notices once the coordinator's pings stop (socket.io's ping
    // interval + timeout, 45 s), then retries on its own schedule until the link is back.
    await sites[0]!.proc.waitForOutput(/disconnected \(|interrupted \(/, 120_000);
    expect(sites[0]!.err()).not.toMatch(/round 1: update uploaded/);
    ip('-n', NS.site, 'link', 'set', VETH.bPeer, 'up');
    await fed.completed(studyId, () => sites);
    await sites[0]!.proc.waitForOutput(/round 1: update uploaded and accepted/, 60_000);
    const outcome = await fed.roundOutcome(studyId);
    expect(outcome.state).toBe('completed');
    expect(outcome.participants).toEqual(fed.sites.map((s) => [s.id, 'uploaded', N_TRAIN]).sort());
    expect((await fed.uploadsAccepted()) - uploadsBefore).toBe(2);
    expect(outcome.fedAvgError).toBeLessThanOrEqual(1);
  });
});
