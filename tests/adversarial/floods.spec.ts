/**
 * Issue 13 (f, g): a site floods what it controls. The old coordinator appended an audit row and
 * re-sent the site's task at every `hello`, and relayed every `train:progress` (trusting the
 * client's own throttle). Now hellos past 10 a minute are refused with `rate_limited` (saying when
 * to retry) and a socket is not sent a task it already has; progress past 2 a second is dropped
 * and counted in `fedaln_train_progress_dropped_total`. The honest sites in the same round finish.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { encodeBlob, SiteEvent, type TaskPayload } from '@fedaln/protocol';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import {
  CASES,
  globalOf,
  honestDelta,
  honestReport,
  honestUpload,
  useFederation,
} from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const HELLOS = 40;
const PROGRESS = 200;

describe('a site flooding hello and train:progress (issue 13 f, g)', () => {
  const federationOf = useFederation('floods');

  it('is rate-limited and throttled, gets its task once, and the honest sites finish', async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Flooder'); // its first hello
    const tasks: TaskPayload[] = [];
    hostile.socket.on(SiteEvent.task, (t) => tasks.push(t));
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    const task = await hostile.task('train', 1);

    // (f) Each hello is acked after any task it re-sends, so the tasks counted below are all there were.
    const hellos = await Promise.all(
      Array.from({ length: HELLOS }, () => hostile.send(SiteEvent.hello, HELLO)),
    );
    const refused = hellos.filter((a) => !a.ok);
    // HELLO_RATE: 10 a minute with the join's hello among them; a minute refills ≤ 1 in this burst.
    expect(hellos.length - refused.length).toBeLessThanOrEqual(10);
    expect(refused[0]).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/retry in \d+ s/),
    });
    expect(tasks.filter((t) => t.kind === 'train')).toHaveLength(1);

    // (g) A burst of progress: at most 2 + 2 per elapsed second are relayed, the rest counted.
    const t0 = performance.now();
    const step = { epoch: 1, batch: 1, batches: 10, loss: 0.5, images_per_s: 1 };
    const acks = await Promise.all(Array.from({ length: PROGRESS }, () => hostile.trainProgress(task, step)));
    const elapsedS = (performance.now() - t0) / 1000;
    expect(acks.every((a) => a.ok)).toBe(true);
    const scrape = await (await fetch(`${federation.coordinator.baseUrl}/metrics`)).text();
    const dropped = Number(/^fedaln_train_progress_dropped_total (\d+)$/m.exec(scrape)?.[1]);
    expect(dropped).toBeGreaterThanOrEqual(PROGRESS - 2 - Math.ceil(2 * elapsedS));

    const hostileDelta = honestDelta(await globalOf(hostile, task), 102); // its task is taken already
    await Promise.all([
      ...honest.map((s, i) => honestUpload(s, 1, 100 + i)),
      hostile.upload(task, encodeBlob(hostileDelta), CASES.n_train).then(expectOk),
    ]);
    await Promise.all([...honest, hostile].map((s, i) => honestReport(s, 1, 200 + i)));
    const study = await federation.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');
    [...honest, hostile].forEach((s) => s.close());
  });
});
