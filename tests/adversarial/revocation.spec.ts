/**
 * Issue 13 (d): the lead revokes a site whose socket is open. The old coordinator checked the
 * token only at the handshake, so the open socket kept working (hello ok, upload:begin reached the
 * study lookup); now the socket is told `site_revoked` and closed at once, and a new connection
 * with the token is refused. The honest sites' round goes on and the study completes.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SiteEvent } from '@fedaln/protocol';
import { connectSite, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { Federation, honestReport, honestUpload, withTimeout } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

describe('revoking a connected site (issue 13 d)', () => {
  let federation: Federation;
  beforeAll(async () => {
    federation = await Federation.start('revocation');
  });
  afterAll(async () => {
    await federation?.stop();
  });

  it('closes its open socket with site_revoked and refuses it afterwards; the honest study completes', async () => {
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Revoked', null);
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id], {
      min_sites: 2,
    });
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    const tasks = await Promise.all(honest.map((s) => s.task('train', 1)));
    // The revoked-to-be site is connected and in good standing.
    expect(await hostile.send(SiteEvent.hello, HELLO)).toMatchObject({ ok: true });

    const revoked = await federation.api('POST', `/api/sites/${hostile.enrolled.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(await withTimeout(hostile.disconnected, federation.budget(50), 'disconnect')).toBe(
      'io server disconnect',
    );
    expect(hostile.errors).toContainEqual(expect.objectContaining({ code: 'site_revoked' }));
    await expect(connectSite(federation.coordinator.baseUrl, hostile.enrolled.token)).rejects.toThrow(
      /unauthenticated: .*revoked/,
    );

    await Promise.all(honest.map((s, i) => honestUpload(s, tasks[i]!, 10 + i)));
    await Promise.all(honest.map((s, i) => honestReport(s, 1, 20 + i)));
    expect((await federation.waitForStudy(studyId, (s) => s.status !== 'running')).status).toBe('completed');
    honest.forEach((s) => s.close());
  });
});
