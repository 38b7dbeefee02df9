import { describe, expect, it } from '@jest/globals';
import {
  parseReleaseManifest,
  releaseManifestSha256,
  verifyDigestSignature,
  verifyManifestSignature,
  type SiteMetricsReport,
} from '@fedaln/protocol';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { buildReleaseRecord, ReleaseRefusedError, type ReleaseInput } from './release-record';
import type { ReleaseVerdict } from '../evaluation/release-policy';
import { ReleaseSigner } from './signing';

const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
const signer = ReleaseSigner.fromPrivateKeyPem(pem);
const sha = createHash('sha256').update('weights').digest('hex');
const passing: ReleaseVerdict = { pass: true, reasons: [], sites: [], sites_passing: 1, sites_required: 1 };
const failing: ReleaseVerdict = {
  pass: false,
  reasons: [
    {
      metric: 'pooled_auc',
      value: 0.7,
      threshold: 0.75,
      message: 'pooled AUC 0.7 is below the minimum pooled AUC 0.75',
    },
  ],
  sites: [],
  sites_passing: 1,
  sites_required: 1,
};
const input = (verdict: ReleaseVerdict, override_reason?: string): ReleaseInput => ({
  version: 3,
  study_id: 'study-1',
  round: 5,
  weights_sha256: sha,
  model: { arch: 'densenet-tiny', input_size: 64 },
  sites: [{ site_id: 's1', name: 'Site 1', n_train: 200, n_test: 50 }],
  metrics: {
    sites: [{ site_id: 's1', report: { auc: 0.8 } as SiteMetricsReport }],
    pooled: { auc: 0.8, auc_ci: [0.7, 0.9], dca_range: [0.2, 0.6] },
  },
  verdict,
  ...(override_reason !== undefined ? { override_reason } : {}),
  created_at: '2026-11-27T05:00:00.000Z',
  previous_manifest_sha256: null,
});

describe('buildReleaseRecord', () => {
  it('a passing round: signed over the weights digest, deep-frozen', () => {
    const record = buildReleaseRecord(input(passing), signer);
    expect(verifyDigestSignature(record.ed25519_public_key, record.weights_sha256, record.signature)).toBe(
      true,
    );
    expect(record).toMatchObject({ version: 3, round: 5, override_reason: null, weights_sha256: sha });
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.sites[0])).toBe(true);
    expect(Object.isFrozen(record.metrics.pooled.auc_ci)).toBe(true);
    expect(() => {
      (record as { version: number }).version = 4;
    }).toThrow(TypeError);
  });

  it('a failing round needs a written override reason, which the record keeps', () => {
    expect(() => buildReleaseRecord(input(failing), signer)).toThrow(ReleaseRefusedError);
    expect(() => buildReleaseRecord(input(failing, 'ok'), signer)).toThrow(
      /round 5 failed the release policy \(pooled AUC 0\.7 is below the minimum pooled AUC 0\.75\); releasing it needs override_reason/,
    );
    const why = '  Site 2 test split has 9 cases; pooled AUC CI overlaps 0.75  ';
    expect(buildReleaseRecord(input(failing, why), signer).override_reason).toBe(why.trim());
  });

  it('refuses an override reason on a passing round and a site without training cases', () => {
    expect(() => buildReleaseRecord(input(passing, 'releasing because I want to'), signer)).toThrow(
      /passed the release policy/,
    );
    const noTrain = { ...input(passing), sites: [{ site_id: 's9', name: 'Site 9', n_train: 0, n_test: 10 }] };
    expect(() => buildReleaseRecord(noTrain, signer)).toThrow(/site Site 9 \(s9\) has n_train 0/);
  });

  it('signs a canonical manifest of study, round, version, verdict, model, weights, time and chain link', () => {
    const why = 'Site 2 test split has 9 cases; pooled AUC CI overlaps 0.75';
    const previous = 'cd'.repeat(32);
    const record = buildReleaseRecord({ ...input(failing, why), previous_manifest_sha256: previous }, signer);
    const m = record.manifest!;
    expect(verifyManifestSignature(signer.publicKeyRaw(), m.text, m.signature)).toBe(true);
    expect(m.sha256).toBe(releaseManifestSha256(m.text));
    expect(parseReleaseManifest(m.text)).toEqual({
      format: 'fedaln-release-manifest/1',
      study_id: 'study-1',
      round: 5,
      version: 3,
      verdict: 'fail',
      override_reason: why,
      arch: 'densenet-tiny',
      input_size: 64,
      weights_sha256: sha,
      created_at: '2026-11-27T05:00:00.000Z',
      previous_manifest_sha256: previous,
    });
    expect(record).not.toHaveProperty('previous_manifest_sha256'); // the link lives in the signed manifest only
    const first = parseReleaseManifest(buildReleaseRecord(input(passing), signer).manifest!.text);
    expect(first).toMatchObject({ verdict: 'pass', override_reason: null, previous_manifest_sha256: null });
  });

  it('signs the nomogram_sha256 of a release that carries a nomogram (issue 15), and none otherwise', () => {
    const sha = 'ef'.repeat(32);
    const withNomogram = buildReleaseRecord({ ...input(passing), nomogram_sha256: sha }, signer);
    const text = withNomogram.manifest!.text;
    expect(parseReleaseManifest(text).nomogram_sha256).toBe(sha);
    expect(verifyManifestSignature(signer.publicKeyRaw(), text, withNomogram.manifest!.signature)).toBe(true);
    expect(buildReleaseRecord(input(passing), signer).manifest!.text).not.toContain('nomogram_sha256');
  });
});
