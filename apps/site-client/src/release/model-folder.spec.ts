import { describe, expect, it } from '@jest/globals';
import { encodeReleaseManifest, RELEASE_MANIFEST_FORMAT } from '@fedaln/protocol';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  MODEL_MANIFEST_FILE,
  MODEL_NOMOGRAM_FILE,
  MODEL_WEIGHTS_FILE,
  readModelNomogram,
  removeReleaseFiles,
  verifyModelFolder,
  writeReleaseFiles,
} from './model-folder';
import { PINNED_KEY_FILE } from './release-trust';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const blob = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
const manifest = encodeReleaseManifest({
  format: RELEASE_MANIFEST_FORMAT,
  study_id: 'study-a',
  round: 1,
  version: 1,
  verdict: 'pass',
  override_reason: null,
  arch: 'densenet-tiny',
  input_size: 32,
  weights_sha256: createHash('sha256').update(blob).digest('hex'),
  created_at: '2026-12-04T17:00:00.000Z',
  previous_manifest_sha256: null,
});
const signed = { manifest, signature: sign(null, Buffer.from(manifest), privateKey).toString('base64') };

/** A work dir with the key pinned, and a model folder with the release files. */
async function setUp() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-folder-'));
  const work = path.join(root, 'work');
  const model = path.join(root, 'model');
  fs.mkdirSync(work);
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(work, PINNED_KEY_FILE), JSON.stringify({ ed25519_public_key: raw }));
  await writeReleaseFiles(model, signed, blob);
  return { root, work, model };
}

describe('verifyModelFolder', () => {
  it('returns the manifest and the signed blob of an intact folder', async () => {
    const { work, model } = await setUp();
    const { manifest: m, blob: b } = await verifyModelFolder(model, work);
    expect(m).toMatchObject({ study_id: 'study-a', version: 1 });
    expect(b).toEqual(blob);
    expect(fs.readdirSync(model).sort()).toEqual([MODEL_MANIFEST_FILE, MODEL_WEIGHTS_FILE]);
  });

  it('refuses altered weights, a missing manifest and a work dir without a pinned key', async () => {
    const { root, work, model } = await setUp();
    const flipped = Buffer.from(blob);
    flipped[0]! ^= 1;
    fs.writeFileSync(path.join(model, MODEL_WEIGHTS_FILE), flipped);
    await expect(verifyModelFolder(model, work)).rejects.toThrow(
      `${path.join(model, MODEL_WEIGHTS_FILE)} hashes to ${createHash('sha256').update(flipped).digest('hex')}`,
    );
    await expect(verifyModelFolder(model, path.join(root, 'elsewhere'))).rejects.toThrow(
      /no coordinator key is pinned in .*elsewhere; pass --work-dir DIR/,
    );
    await removeReleaseFiles(model);
    expect(fs.readdirSync(model)).toEqual([]);
    await expect(verifyModelFolder(model, work)).rejects.toThrow(
      `${model} has no ${MODEL_MANIFEST_FILE}: it is not a model pulled from a signed release`,
    );
  });
});

describe('readModelNomogram (issue 15)', () => {
  const nomogram = JSON.stringify({
    format: 'fedaln-nomogram/1',
    study_id: 'study-a',
    round: 1,
    model_sha256: 'ab'.repeat(32),
    platt: {
      covariates: ['(intercept)', 'dl_logit'],
      coefficients: [-0.5, 0.8],
      std_errors: [0.2, 0.1],
      p: [0.01, 0.001],
    },
    combined: null,
    fitted_on: { platt: ['a'], combined: [] },
  });
  const withNomogram = encodeReleaseManifest({
    ...JSON.parse(manifest),
    nomogram_sha256: createHash('sha256').update(nomogram).digest('hex'),
  });
  const signedWith = {
    manifest: withNomogram,
    signature: sign(null, Buffer.from(withNomogram), privateKey).toString('base64'),
  };

  it('reads the nomogram its signed manifest names; null in a folder without one', async () => {
    const { work, model } = await setUp();
    expect(await readModelNomogram(model)).toBeNull();
    await writeReleaseFiles(model, signedWith, blob, nomogram);
    await verifyModelFolder(model, work);
    expect((await readModelNomogram(model))?.platt.coefficients).toEqual([-0.5, 0.8]);
    await removeReleaseFiles(model);
    expect(fs.existsSync(path.join(model, MODEL_NOMOGRAM_FILE))).toBe(false);
  });

  it('refuses a nomogram.json altered after the pull, or one the manifest does not name', async () => {
    const { model } = await setUp();
    await writeReleaseFiles(model, signedWith, blob, nomogram.replace('-0.5', '-0.4'));
    await expect(readModelNomogram(model)).rejects.toThrow(
      /nomogram\.json hashes to [0-9a-f]{64}, but the signed manifest names [0-9a-f]{64}; pull the release again/,
    );
    await writeReleaseFiles(model, signed, blob, nomogram);
    await expect(readModelNomogram(model)).rejects.toThrow(/but the signed manifest names no nomogram/);
  });
});
