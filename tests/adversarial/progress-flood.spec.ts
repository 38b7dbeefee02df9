/**
 * Issue 13 (h): a site floods `train:progress`. The old coordinator relayed every event to the
 * dashboard (it relied on the client's own 2 per second); now it relays at most 2 per second per
 * site (a token bucket with a burst of 2), drops and counts the rest, and honest sites' progress
 * and study are unaffected.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { MonitorEvent, SiteEvent, type TrainingProgressEvent } from '@fedaln/protocol';
import { connectMonitor } from '../e2e/support/monitor';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { ADMIN, honestReport, honestUpload, useFederation, withTimeout } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const FLOOD = 300;
/** The protocol's rate (events.ts `TrainProgressPayload`): 2 per second, a burst of 2. */
const PER_SECOND = 2;

describe('a train:progress flood (issue 13 h)', () => {
  const federationOf = useFederation('progress-flood');

  it(`${FLOOD} events in a burst reach the dashboard at most 2 per second; the rest are counted as dropped`, async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Hostile', null);
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const monitor = await connectMonitor(federation.coordinator.baseUrl, ADMIN);
    const relayed: TrainingProgressEvent[] = [];
    let honestRelayed: () => void = () => undefined;
    const honestSeen = new Promise<void>((resolve) => (honestRelayed = resolve));
    monitor.on(MonitorEvent.trainingProgress, (e) => {
      relayed.push(e);
      if (e.site_id === enrolled[0]!.id) honestRelayed();
    });
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    expectOk(await hostile.send(SiteEvent.hello, HELLO));
    const task = await hostile.task('train', 1);

    const step = { epoch: 1, batches: FLOOD, loss: 0.69, images_per_s: 3 };
    const t0 = performance.now();
    const acks = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) => hostile.trainProgress(task, { ...step, batch: i + 1 })),
    );
    const floodMs = performance.now() - t0;
    // Progress is advisory: dropped events are acknowledged as usual.
    acks.forEach((a) => expect(a).toEqual({ ok: true }));
    const tasks = await Promise.all(honest.map((s) => s.task('train', 1)));
    expect(await honest[0]!.trainProgress(tasks[0]!, { ...step, batch: 1 })).toEqual({ ok: true });
    const dropped = async () =>
      Number(
        /^fedaln_train_progress_dropped_total (\d+)$/m.exec(
          await (await fetch(`${federation.coordinator.baseUrl}/metrics`)).text(),
        )?.[1],
      );

    // Every relay is emitted before its ack; the honest site's event, acked last, bounds them all in time.
    await withTimeout(honestSeen, federation.budget(100), "the honest site's progress on the dashboard");
    const fromHostile = relayed.filter((e) => e.site_id === hostile.enrolled.id);
    const allowed = PER_SECOND * (1 + floodMs / 1000);
    expect(fromHostile.length).toBeGreaterThanOrEqual(1);
    expect(fromHostile.length).toBeLessThanOrEqual(Math.floor(allowed));
    expect(await dropped()).toBe(FLOOD - fromHostile.length);
    monitor.close();

    // The honest sites' round goes on.
    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, [...tasks, task][i]!, 10 + i)));
    await Promise.all([...honest, hostile].map((s, i) => honestReport(s, 1, 20 + i)));
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
  });
});
