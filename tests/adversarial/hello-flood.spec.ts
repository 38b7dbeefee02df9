/**
 * Issue 13 (g): a site says hello in a tight loop. The old coordinator appended an audit row and
 * re-sent the site's tasks at every hello; now hellos past HELLO_RATE are refused with
 * `rate_limited` (saying when to retry), a task the socket already has is not sent again, and the
 * audit log keeps one site.hello row per site and minute. The honest sites' study completes.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { SiteEvent } from '@fedaln/protocol';
import { HELLO, ScriptedSite } from '../e2e/support/site-client';
import { honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const FLOOD = 200;
/** The coordinator's HELLO_RATE (site-arrivals.ts): 10 a minute, a burst of 10. */
const HELLOS_PER_MINUTE = 10;

describe('a hello flood (issue 13 g)', () => {
  const federationOf = useFederation('hello-flood');

  it(`${FLOOD} hellos: the rest past the rate are refused with rate_limited, no task is re-sent, one audit row`, async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Hostile', null);
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    let tasks = 0;
    hostile.socket.on(SiteEvent.task, () => tasks++);
    expect(await hostile.send(SiteEvent.hello, HELLO)).toMatchObject({ ok: true });
    const train = await hostile.task('train', 1);
    expect(tasks).toBe(1);

    const t0 = performance.now();
    const acks = await Promise.all(Array.from({ length: FLOOD }, () => hostile.send(SiteEvent.hello, HELLO)));
    const floodMs = performance.now() - t0;
    const accepted = acks.filter((a) => a.ok).length;
    // The first hello took one of the burst; the bucket refills 10 a minute while the flood lasts.
    expect(accepted).toBeLessThanOrEqual(Math.floor(HELLOS_PER_MINUTE * (1 + floodMs / 60_000)) - 1);
    const refused = acks.filter((a) => !a.ok);
    expect(refused).toHaveLength(FLOOD - accepted);
    for (const r of refused) {
      expect(r).toMatchObject({
        ok: false,
        code: 'rate_limited',
        message: expect.stringMatching(/retry in \d+ s/),
      });
    }
    // Every task the flood made the coordinator send would have arrived before the last ack.
    expect(tasks).toBe(1);

    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, i < 2 ? 1 : train, 10 + i)));
    await Promise.all([...honest, hostile].map((s, i) => honestReport(s, 1, 20 + i)));
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
    // One hello a minute is recorded; the flood lasted well under one.
    expect(floodMs).toBeLessThan(60_000);
    expect(await federation.auditRowsAfterStop('site.hello', hostile.enrolled.id)).toBe(1);
  });
});
