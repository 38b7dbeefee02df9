/**
 * Issue 13 (f): a site floods `hello`. The old coordinator appended an audit row and re-sent the
 * site's task at every one. Now hellos past 10 a minute are refused with `rate_limited` (saying when
 * to retry) and a socket is not sent a task it already has; the honest sites in the same round
 * finish. (A `train:progress` flood is progress-flood.spec.ts.)
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

describe('a site flooding hello (issue 13 f)', () => {
  const federationOf = useFederation('hello-flood');

  it('is rate-limited, gets its task once, and the honest sites finish', async () => {
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

    // Each hello is acked after any task it re-sends, so the tasks counted below are all there were.
    const t0 = performance.now();
    const hellos = await Promise.all(
      Array.from({ length: HELLOS }, () => hostile.send(SiteEvent.hello, HELLO)),
    );
    const refills = Math.floor((performance.now() - t0) / 6000);
    const refused = hellos.filter((a) => !a.ok);
    // HELLO_RATE (token bucket): at most the bucket's 10, plus one per 6 s the burst itself took.
    expect(hellos.length - refused.length).toBeLessThanOrEqual(10 + refills);
    expect(refused[0]).toMatchObject({
      code: 'rate_limited',
      message: expect.stringMatching(/retry in \d+ s/),
    });
    expect(tasks.filter((t) => t.kind === 'train')).toHaveLength(1);

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
