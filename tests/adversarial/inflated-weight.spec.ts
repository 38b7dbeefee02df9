/**
 * Issue 13 (a): a site declared n_train = 2^24 with δ = 0.5 and the new global moved by 0.499997
 * (a fair mean of two sites of 100 cases gives 0.2505): its self-declared count was its FedAvg
 * weight. Now its weight is the count the lead approved; an upload that claims more is refused with
 * the value, the approved count and the fix, and the honest sites' study completes.
 */
import { describe, expect, it, jest } from '@jest/globals';
import { decodeBlob, encodeBlob, SiteEvent } from '@fedaln/protocol';
import { expectOk, HELLO, ScriptedSite } from '../e2e/support/site-client';
import { CASES, globalOf, honestReport, honestUpload, useFederation } from './support/federation';
import { HostileSite } from './support/hostile-site';

jest.setTimeout(300_000);

const INFLATED = 2 ** 24;
/** The hostile update of the issue: every weight moved by 0.5. */
const DELTA = 0.5;
/** honestDelta's bound: no honest update moves a weight further. */
const HONEST_MAX = 5e-4;

describe('a site that inflates its case count (issue 13 a)', () => {
  const federation = useFederation('inflated-weight');

  it(`n_train ${INFLATED} is refused; the lead sees the claim; the global moves as the honest updates do`, async () => {
    const enrolled = await Promise.all(['Honest A', 'Honest B'].map((n) => federation().enrol(n)));
    const hostile = await HostileSite.join(federation(), 'Hostile', null);
    const studyId = await federation().startStudy([...enrolled.map((s) => s.id), hostile.enrolled.id]);
    const honest = await Promise.all(
      enrolled.map((s) => ScriptedSite.connect(federation().coordinator.baseUrl, s.token)),
    );
    expectOk(await hostile.send(SiteEvent.hello, { ...HELLO, n_train: INFLATED }));

    // The lead's view: the claim is shown apart from what was approved at enrolment.
    const sites = await federation().api('GET', '/api/sites');
    expect(sites.json.find((s: { id: string }) => s.id === hostile.enrolled.id)).toMatchObject({
      approved_cases: { n_train: CASES.n_train, n_test: CASES.n_test },
      claimed_cases: { n_train: INFLATED, n_test: CASES.n_test },
    });

    const task = await hostile.task('train', 1);
    const global = await globalOf(hostile, task);
    const shifted = global.map((t) => ({ ...t, values: new Float32Array(t.values.length).fill(DELTA) }));
    const refused = await hostile.upload(task, encodeBlob(shifted), INFLATED);
    expect(refused).toEqual({
      ok: false,
      code: 'forbidden',
      message: `n_train ${INFLATED} exceeds the ${CASES.n_train} training cases approved for this site; ask the lead to approve your counts on the dashboard`,
    });

    // The round goes on: the honest sites, and the hostile one within its approved count.
    await Promise.all([...honest, hostile].map((s, i) => honestUpload(s, i < 2 ? 1 : task, 30 + i)));
    await Promise.all([...honest, hostile].map((s, i) => honestReport(s, 1, 40 + i)));
    const study = await federation().waitForStudy(studyId, (s) => s.status !== 'running');
    expect(study.status).toBe('completed');

    // Measured: how far the released global moved from version 0 (the attack moved it 0.499997).
    const v1 = (await federation().api('GET', `/api/studies/${studyId}/rounds/1`)).json;
    expect(v1.participants.map((p: { n_train: number }) => p.n_train)).toEqual([100, 100, 100]);
    const after = await fetch(`${federation().coordinator.baseUrl}/api/studies/${studyId}/models/1`, {
      headers: { authorization: `Bearer ${enrolled[0]!.token}` },
    });
    expect(after.status).toBe(200);
    const next = decodeBlob(new Uint8Array(await after.arrayBuffer()));
    let moved = 0;
    next.forEach((t, i) =>
      t.values.forEach((v, j) => (moved = Math.max(moved, Math.abs(v - global[i]!.values[j]!)))),
    );
    expect(moved).toBeLessThanOrEqual(HONEST_MAX + 1e-6);
    [...honest, hostile].forEach((s) => s.close());
  });

  it('a site with no approved count cannot upload at all until the lead approves its claim', async () => {
    const unapproved = await federation().api('POST', '/api/sites', { name: 'Unapproved' });
    const hostile = await HostileSite.join(federation(), 'Unapproved', null, {
      id: String(unapproved.json.id),
      token: String(unapproved.json.enrolment_token),
    });
    const studyId = await federation().startStudy([hostile.enrolled.id]);
    expectOk(await hostile.send(SiteEvent.hello, HELLO));
    const task = await hostile.task('train', 1);
    const global = await globalOf(hostile, task);
    const refused = await hostile.uploadBegin(task, encodeBlob(global), HELLO.n_train);
    expect(refused).toMatchObject({
      ok: false,
      code: 'forbidden',
      message: expect.stringMatching(/^n_train 100 refused: this site has no approved case count yet/),
    });
    const approved = await federation().api('POST', `/api/sites/${hostile.enrolled.id}/cases`, CASES);
    expect(approved.status).toBe(200);
    expect(await hostile.uploadBegin(task, encodeBlob(global), HELLO.n_train)).toMatchObject({ ok: true });
    await federation().api('POST', `/api/studies/${studyId}/abort`);
    hostile.close();
  });
});
