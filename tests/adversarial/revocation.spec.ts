/**
 * Issue 13 (d): the lead revokes a site while its socket is open. The old coordinator checked the
 * token only at the handshake, so the open socket kept working (`hello` ok, `upload:begin` reaching
 * the study lookup). Now the revocation reaches the socket at once (`site_revoked`, then closed),
 * a reconnect is refused at the handshake, and the honest sites' study goes on without it.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { SiteEvent } from '@fedaln/protocol';
import { connectSite, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

describe('a site revoked while connected (issue 13 d)', () => {
  const federationOf = useFederation('revocation');

  it('is told site_revoked and closed at once, cannot reconnect, and the honest sites finish', async () => {
    const federation = federationOf();
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation.enrol(n)));
    const hostile = await HostileSite.join(federation, 'Revoked');
    const studyId = await federation.startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id], {
      min_sites: 2,
    });

    const revoked = await federation.api('POST', `/api/sites/${hostile.enrolled.id}/revoke`);
    expect(revoked).toMatchObject({ status: 200, json: { status: 'revoked' } });
    // The old coordinator acked this hello; now the socket is closed before it could be answered.
    const next = await Promise.race([
      hostile.disconnected.then((reason) => `closed: ${reason}`),
      hostile.send(SiteEvent.hello, HELLO).then((ack) => `acked: ${JSON.stringify(ack)}`),
    ]);
    expect(next).toBe('closed: io server disconnect');
    expect(hostile.errors).toEqual([
      { code: 'site_revoked', message: expect.stringContaining('ask the lead to enrol the hospital again') },
    ]);
    await expect(connectSite(federation.coordinator.baseUrl, hostile.enrolled.token)).rejects.toThrow(
      /^unauthenticated: .*revoked/,
    );

    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation.coordinator.baseUrl, s.token)),
    );
    await Promise.all(honest.map((s, i) => honestUpload(s, 1, 100 + i)));
    await Promise.all(honest.map((s, i) => honestReport(s, 1, 200 + i)));
    const study = await federation.waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');
    honest.forEach((s) => s.close());
  });
});
