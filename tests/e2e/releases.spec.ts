import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { auc } from '@fedaln/metrics';
import {
  parseReleaseManifest,
  releaseManifestSha256,
  verifyDigestSignature,
  verifyManifestSignature,
} from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyRelease } from '../../apps/site-client/src/release/release-trust';
import { acceptSignedManifest } from '../../apps/site-client/src/release/signed-manifest';
import { runReleaseStudy, type ReleaseStudy } from './support/release-study';

jest.setTimeout(180_000);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let study: ReleaseStudy;

/**
 * Two sites, one round; site B's scores barely separate the classes, so the policy's minimum site
 * AUC of 0.8 fails there (its AUC is checked below against that bar, so the test cannot pass by accident).
 */
beforeAll(async () => {
  study = await runReleaseStudy({
    name: 'e2e releases',
    rounds: 1,
    sites: [
      { name: 'Hospital A', nTrain: 120, nTest: 90, separation: () => 1.6 },
      { name: 'Hospital B', nTrain: 80, nTest: 70, separation: () => 0.3 },
    ],
    policy: { min_site_auc: 0.8, min_pooled_auc: 0.6, dca_range: [0.2, 0.5], min_sites_passing: 'all' },
  });
});
afterAll(async () => {
  await study?.stop();
});

describe('round metrics (built coordinator, scripted sites)', () => {
  it('records the verdict when the round completes, before anyone reads the metrics', async () => {
    // /verdicts lists recorded verdicts only (reading /metrics would backfill a missing one).
    const r = await study.api('GET', `/api/studies/${study.studyId}/verdicts`);
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(1);
    expect(r.json[0]).toMatchObject({ round: 1, pass: false });
  });

  it('pools the decision curve and the AUC within their stated bounds (privacy rule, k = 5)', async () => {
    const r = await study.api('GET', `/api/studies/${study.studyId}/rounds/1/metrics`);
    expect(r.status).toBe(200);
    expect(r.json.sites).toHaveLength(2);
    const labels = study.predictions[0]!.flatMap((p) => p.labels);
    const scores = study.predictions[0]!.flatMap((p) => p.scores);
    const n = labels.length;
    const dca = r.json.pooled.decision_curve;
    // Vickers & Elkin 2006: NB(t) = TP/n − FP/n · t/(1 − t), counted by hand on the concatenated cases;
    // the pooled curve of the sites' merged bins is within net_benefit_error_bound of it (issue 14).
    dca.thresholds.forEach((t: number, j: number) => {
      let tp = 0;
      let fp = 0;
      scores.forEach((s, i) => {
        if (s >= t && labels[i] === 1) tp++;
        if (s >= t && labels[i] === 0) fp++;
      });
      const exactNb = tp / n - (fp / n) * (t / (1 - t));
      expect(Math.abs(dca.net_benefit[j] - exactNb)).toBeLessThanOrEqual(
        dca.net_benefit_error_bound[j] + 1e-12,
      );
    });
    const exact = auc(labels, scores)!;
    expect(Math.abs(r.json.pooled.auc - exact)).toBeLessThanOrEqual(r.json.pooled.auc_error_bound + 1e-12);
    expect(r.json.pooled.n).toBe(n);
  });

  it('records a failing verdict naming the site, the metric and the threshold', async () => {
    const r = await study.api('GET', `/api/studies/${study.studyId}/rounds/1/metrics`);
    const siteB = r.json.sites.find((s: { name: string }) => s.name === 'Hospital B');
    expect(siteB.report.auc).toBeLessThan(0.8);
    expect(r.json.verdict.pass).toBe(false);
    expect(r.json.verdict.reasons).toContainEqual(
      expect.objectContaining({
        metric: 'site_auc',
        threshold: 0.8,
        site: expect.objectContaining({ name: 'Hospital B' }),
      }),
    );
  });

  // Issue 13: one stored report with a one-point grid made this route and POST /releases answer 500
  // for ever. A stored report that fails the checks (written before them, or edited on disk) is shown
  // with its reason and left out; the releases below are made with it lying there.
  it('leaves out a stored report that fails the checks, and still answers', async () => {
    const dir = path.join(study.coordinator.dataDir, 'metrics', study.studyId, '1');
    const good = JSON.parse(fs.readFileSync(path.join(dir, `${study.siteIds[0]}.json`), 'utf8'));
    const siteId = '00000000-0000-4000-8000-00000000000b';
    const onePoint = { thresholds: [0.5], tp: [8], fp: [3] };
    const bad = { ...good, siteId, report: { ...good.report, threshold_counts: onePoint } };
    fs.writeFileSync(path.join(dir, `${siteId}.json`), JSON.stringify(bad));
    const r = await study.api('GET', `/api/studies/${study.studyId}/rounds/1/metrics`);
    expect(r.status).toBe(200);
    expect(r.json.sites).toHaveLength(2);
    expect(r.json.refused_reports).toEqual([
      {
        site_id: siteId,
        name: siteId,
        received_at: good.receivedAt,
        reason: expect.stringMatching(
          /^report\.threshold_counts\.thresholds(\[0\] is 0\.5; expected| has 1 values; expected the)/,
        ),
      },
    ]);
  });
});

describe('releases', () => {
  it('a failing policy blocks release until overridden with a reason, which is kept', async () => {
    const url = `/api/studies/${study.studyId}/releases`;
    const blocked = await study.api('POST', url, { round: 1 });
    expect(blocked.status).toBe(409);
    expect(blocked.json.error).toBe('RELEASE_REFUSED');
    expect(blocked.json.message).toContain('Hospital B: AUC');
    expect(blocked.json.details.reasons.length).toBeGreaterThan(0);
    expect((await study.api('POST', url, { round: 1, override_reason: 'ok' })).status).toBe(409);
    expect((await study.api('POST', url, { round: 'one' })).status).toBe(400);

    const reason = 'Hospital B test split is small; lead accepts for a supervised pilot';
    const made = await study.api('POST', url, { round: 1, override_reason: reason });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ version: 1, round: 1, override_reason: reason });
    expect(made.json.verdict.pass).toBe(false);
    expect((await study.api('GET', '/api/releases/1')).json.override_reason).toBe(reason);
    // Immutable: the same round cannot be released again (there is no update path).
    const again = await study.api('POST', url, { round: 1, override_reason: reason });
    expect(again.status).toBe(409);
  });

  it('serves signed weights; a tampered copy fails the signature check that pull uses', async () => {
    const key = (await study.api('GET', '/api/keys')).json.ed25519_public_key as string;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const token = study.tokens[0]!; // an enrolled site of the study may read its releases
    const release = (await study.api('GET', '/api/releases/1', undefined, token)).json;
    const res = await fetch(`${study.coordinator.baseUrl}/api/releases/1/weights`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(release.weights_sha256);
    expect(verifyDigestSignature(key, sha256(bytes), release.signature)).toBe(true);
    const tampered = Uint8Array.from(bytes);
    tampered[tampered.length - 1]! ^= 1;
    expect(verifyDigestSignature(key, sha256(tampered), release.signature)).toBe(false);
    expect(verifyDigestSignature(key, sha256(bytes), null)).toBe(false);
    // The site client's check for pull (release-trust.ts): the real blob passes, a tampered one
    // (or one whose published hash was swapped to match it) and an unsigned release are refused.
    expect(() => verifyRelease(bytes, release, key)).not.toThrow();
    expect(() => verifyRelease(tampered, release, key)).toThrow(/altered or truncated/);
    expect(() => verifyRelease(tampered, { ...release, weights_sha256: sha256(tampered) }, key)).toThrow(
      /does not verify/,
    );
    expect(() => verifyRelease(bytes, { ...release, signature: null }, key)).toThrow(/unsigned/);
    expect((await study.api('GET', '/api/releases/1', undefined, 'not-a-token')).status).toBe(401);
  });

  it('serves one signed manifest (issue 14) in the release, the list, card.json, manifest.json and the weights header', async () => {
    const key = (await study.api('GET', '/api/keys')).json.ed25519_public_key as string;
    const token = study.tokens[1]!;
    const release = (await study.api('GET', '/api/releases/1', undefined, token)).json;
    const text = release.manifest as string;
    expect(verifyManifestSignature(key, text, release.manifest_signature)).toBe(true);
    expect(release.manifest_sha256).toBe(releaseManifestSha256(text));
    // The override release of the first test: verdict fail with the lead's reason; the first of its study.
    expect(parseReleaseManifest(text)).toEqual({
      format: 'fedaln-release-manifest/1',
      study_id: study.studyId,
      round: 1,
      version: 1,
      verdict: 'fail',
      override_reason: release.override_reason,
      arch: 'densenet-tiny',
      input_size: 32,
      weights_sha256: release.weights_sha256,
      created_at: release.created_at,
      previous_manifest_sha256: null,
    });
    // The site client's rule accepts it: an override with a reason, signed by the pinned key.
    expect(
      acceptSignedManifest({ manifest: text, signature: release.manifest_signature }, key, 'v1').version,
    ).toBe(1);
    const listed = (await study.api('GET', '/api/releases', undefined, token)).json;
    expect(listed[0]).toMatchObject({ manifest: text, manifest_signature: release.manifest_signature });
    const file = await study.api('GET', release.links.manifest, undefined, token);
    expect(file).toEqual({ status: 200, json: { manifest: text, signature: release.manifest_signature } });
    const card = (await study.api('GET', '/api/releases/1/card.json', undefined, token)).json;
    expect(card.release).toMatchObject({
      manifest: text,
      manifest_signature: release.manifest_signature,
      manifest_sha256: release.manifest_sha256,
    });
    const weights = await fetch(`${study.coordinator.baseUrl}/api/releases/1/weights`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(weights.headers.get('x-release-manifest-sha256')).toBe(release.manifest_sha256);
    expect((await study.api('GET', release.links.manifest, undefined, 'not-a-token')).status).toBe(401);
  });

  it('serves the model card and a tfjs model.json whose shards load', async () => {
    const html = await study.api('GET', '/api/releases/1/card.html');
    expect(html.status).toBe(200);
    expect(String(html.json)).toContain('<svg');
    const card = await study.api('GET', '/api/releases/1/card.json');
    expect(card.json.release.override_reason).toContain('supervised pilot');
    // The scripted sites say `engine: 'cpu'` in their hello (tests/e2e/support/site-client.ts); the card
    // takes each site's engine from its latest hello in the audit log.
    expect(card.json.training.engines).toEqual(['cpu']);
    expect(card.json.sites.every((s: { engine: string | null }) => s.engine === 'cpu')).toBe(true);
    expect(card.json.data_source).toBe('clinical');
    const model = await study.api('GET', '/api/releases/1/model.json');
    expect(model.status).toBe(200);
    expect(model.json.format).toBe('layers-model');
    const manifest = model.json.weightsManifest[0];
    const expectedBytes = manifest.weights.reduce(
      (a: number, w: { shape: number[] }) => a + 4 * w.shape.reduce((x, y) => x * y, 1),
      0,
    );
    let total = 0;
    for (const p of manifest.paths as string[]) {
      const shard = await fetch(`${study.coordinator.baseUrl}/api/releases/1/${p}`, {
        headers: { authorization: `Bearer ${study.tokens[1]}` },
      });
      expect(shard.status).toBe(200);
      total += (await shard.arrayBuffer()).byteLength;
    }
    expect(total).toBe(expectedBytes);
  });
});
