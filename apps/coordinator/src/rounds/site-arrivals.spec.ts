import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as path from 'node:path';
import {
  connectSession,
  HELLO,
  inMemoryCoordinator,
  seedRound,
  temporaryDir,
  type InMemoryCoordinator,
} from '../../../../tests/medium/coordinator-in-memory';
import { BlobCache } from '../blobs/blob-cache';
import { FileBlobStore } from '../blobs/blob-store';
import { ModelDownloads } from '../blobs/model-downloads';
import type { Study } from '../domain/records';
import { FeatureBaselines } from '../evaluation/feature-baselines';
import { FeatureModelStore } from '../evaluation/feature-model';
import { HELLO_RATE, SERVER_VERSION, SiteArrivals } from './site-arrivals';
import { TaskDispatch } from './task-dispatch';

const dir = temporaryDir('site-arrivals');

describe('SiteArrivals', () => {
  let c: InMemoryCoordinator;
  let blobs: FileBlobStore;
  let downloads: ModelDownloads;
  let arrivals: SiteArrivals;
  /** The arrivals' clock (ms); each test starts at 0 and moves it by hand. */
  let t: number;

  beforeEach(() => {
    t = 0;
    blobs = new FileBlobStore(path.join(dir, 'blobs'));
    c = inMemoryCoordinator(blobs);
    const baselines = new FeatureBaselines(
      new FeatureModelStore(path.join(dir, 'metrics')),
      c.presence,
      c.log,
    );
    const dispatch = new TaskDispatch(c.models, c.participants, c.reports, baselines, c.presence);
    c.changes.subscribe((change) => dispatch.onChange(change)); // as AppModule wires it
    downloads = new ModelDownloads(c.studies, c.rounds, c.models, new BlobCache(blobs));
    arrivals = new SiteArrivals(
      c.studies,
      c.rounds,
      c.service,
      dispatch,
      c.presence,
      downloads,
      c.transactions,
      c.monitor,
      c.sites,
      () => t,
    );
  });

  /** A study of sites a and b needing one site, with its version 0 in the blob store. */
  async function study(
    state: 'waiting' | 'training',
    more: { status?: Study['status']; sites?: string[] } = {},
  ) {
    const seeded = await seedRound(c, {
      sites: more.sites ?? ['a', 'b'],
      state,
      status: more.status,
      spec: { min_sites: 1 },
      participants: state === 'training' ? { a: 'assigned', b: 'assigned' } : {},
    });
    const v0 = await blobs.put(new TextEncoder().encode(`version 0 of ${seeded.study.id}`));
    await c.models.add({ studyId: seeded.study.id, version: 0, roundNumber: null, ...v0 });
    return { ...seeded, v0 };
  }

  it('hello records the site, audits what it said, tells the dashboard and answers with the server version', async () => {
    const a = connectSession(c, 'a', null);
    const hello = { ...HELLO, engine: 'wasm' as const, images_per_s: 2.5 };
    await expect(arrivals.hello(a, hello)).resolves.toEqual({ site_id: 'a', server_version: SERVER_VERSION });
    expect(a.hello).toEqual(hello);
    expect(c.presence.present(['a'])).toEqual(['a']);
    expect(c.audit.entries).toMatchObject([
      { actor: 'site:a', action: 'site.hello', subjectType: 'site', subjectId: 'a', details: hello },
    ]);
    expect(c.monitor.told).toEqual([
      { kind: 'siteStatus', event: { site_id: 'a', connected: true, engine: 'wasm', images_per_s: 2.5 } },
    ]);
  });

  // Issue 13: a site's word is shown to the lead, never taken as its weight.
  it('hello keeps the case counts a site claims as claimed, leaving the approved ones as they were', async () => {
    const approved = { nTrain: 10, nTest: 5 };
    c.sites.put('a', approved);
    await arrivals.hello(connectSession(c, 'a'), { ...HELLO, n_train: 2 ** 24 });
    await expect(c.sites.findById('a')).resolves.toMatchObject({
      approvedCases: approved,
      claimedCases: { nTrain: 2 ** 24, nTest: HELLO.n_test },
    });
  });

  it('joins the running studies that list the site, and only those', async () => {
    const running = await study('waiting');
    const paused = await study('waiting', { status: 'paused' });
    const draft = await study('waiting', { status: 'draft' });
    const others = await study('waiting', { sites: ['b'] });
    const joined = jest.spyOn(c.service, 'siteJoined');
    const a = connectSession(c, 'a', null);
    await arrivals.hello(a, HELLO);
    expect(joined.mock.calls).toEqual([[running.study.id, 'a']]);
    // min_sites 1: the running study's round starts, and its train task reaches the site once.
    expect((await c.rounds.find(running.study.id, 1))?.state).toBe('training');
    expect(a.tasks.map((t) => [t.kind, t.study_id])).toEqual([['train', running.study.id]]);
    for (const s of [paused, draft, others])
      expect((await c.rounds.find(s.study.id, 1))?.state).toBe('waiting');
  });

  it('re-sends the task a site still owes in a round under way', async () => {
    const underway = await study('training');
    const a = connectSession(c, 'a', null);
    await arrivals.hello(a, HELLO);
    expect(a.tasks).toMatchObject([{ kind: 'train', study_id: underway.study.id, round: 1 }]);
    expect(a.tasks[0]?.model_sha256).toBe(underway.v0.sha256);
  });

  it('leaving removes the session and its open download, and tells the dashboard', async () => {
    const { study: s, v0 } = await study('training');
    const a = connectSession(c, 'a');
    const { download_id } = await downloads.begin('a', { study_id: s.id, round: 1, model_sha256: v0.sha256 });
    arrivals.left(a);
    expect(c.presence.get('a')).toBeUndefined();
    expect(() => downloads.frame('a', { download_id, index: 0 })).toThrow(
      expect.objectContaining({ code: 'TRANSFER_NOT_FOUND' }),
    );
    expect(c.monitor.told).toEqual([{ kind: 'siteStatus', event: { site_id: 'a', connected: false } }]);
  });

  it('the old socket of a site that reconnected leaving does nothing', async () => {
    const { study: s, v0 } = await study('training');
    const stale = connectSession(c, 'a');
    const now = connectSession(c, 'a');
    const { download_id } = await downloads.begin('a', { study_id: s.id, round: 1, model_sha256: v0.sha256 });
    arrivals.left(stale);
    expect(c.presence.get('a')).toBe(now);
    expect(downloads.frame('a', { download_id, index: 0 }).data.length).toBe(v0.bytes);
    expect(c.monitor.told).toEqual([]);
  });

  // Issue 13: every hello appended an audit row and re-sent tasks, however often a site said it.
  describe('a site repeating hello', () => {
    it(`is refused with RATE_LIMITED past ${HELLO_RATE.limit} a minute, told when to retry, and let in then`, async () => {
      const a = connectSession(c, 'a');
      for (let i = 0; i < HELLO_RATE.limit; i++) await arrivals.hello(a, HELLO);
      // Token bucket (KeyedRateLimit): one hello's worth comes back every 60 000 / 10 = 6 000 ms.
      await expect(arrivals.hello(a, HELLO)).rejects.toMatchObject({
        code: 'RATE_LIMITED',
        message: expect.stringMatching(
          /hello more than 10 times in 60 s; retry in 6 s \(after 1970-01-01T00:00:06.000Z\)/,
        ),
      });
      t = 6000;
      await expect(arrivals.hello(a, HELLO)).resolves.toMatchObject({ site_id: 'a' });
    });

    it('is audited once per minute per site', async () => {
      const a = connectSession(c, 'a');
      const b = connectSession(c, 'b');
      const helloRows = () =>
        c.audit.entries.filter((e) => e.action === 'site.hello').map((e) => e.subjectId);
      await arrivals.hello(a, HELLO);
      await arrivals.hello(a, HELLO);
      await arrivals.hello(b, HELLO);
      t = 59_999;
      await arrivals.hello(a, HELLO);
      expect(helloRows()).toEqual(['a', 'b']);
      t = 60_000;
      await arrivals.hello(a, HELLO);
      expect(helloRows()).toEqual(['a', 'b', 'a']);
    });

    it('is not sent again the task its socket already has; a new socket is', async () => {
      await study('training');
      const a = connectSession(c, 'a');
      for (let i = 0; i < 3; i++) await arrivals.hello(a, HELLO);
      expect(a.tasks.map((task) => task.kind)).toEqual(['train']);
      const reconnected = connectSession(c, 'a');
      await arrivals.hello(reconnected, HELLO);
      expect(reconnected.tasks.map((task) => task.kind)).toEqual(['train']);
    });
  });
});
