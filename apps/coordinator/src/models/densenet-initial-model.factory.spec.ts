/**
 * A study whose init_weights names a Keras .h5 starts from that file's features (every tensor equal
 * to h5py's reading of it, libs/model/fixtures/keras/*.expected.json, made by make_keras_h5.py there)
 * under the same seeded binary head as a random study; a file that does not fit is a
 * STUDY_SPEC_INVALID (HTTP 400) naming it. The factory runs from the built dist in a child process
 * because h5wasm is an ES module that jest's CommonJS runtime cannot import.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeBlob } from '@fedaln/protocol';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..', '..', '..');
const DIST = path.join(__dirname, '..', '..', 'dist', 'models', 'densenet-initial-model.factory.js');
const FIXTURES = path.join(REPO, 'libs', 'model', 'fixtures', 'keras');

const spec = (init_weights: string, arch = 'densenet-tiny') => ({
  arch,
  input_size: 32,
  seed: 3,
  init_weights,
});

/** Runs `new DenseNetInitialModelFactory(FIXTURES).create(spec)` from dist; the blob or the error. */
function create(s: ReturnType<typeof spec>, out: string): { code?: string; message?: string } {
  const script = `
    const { DenseNetInitialModelFactory } = require(${JSON.stringify(DIST)});
    new DenseNetInitialModelFactory(${JSON.stringify(FIXTURES)}).create(${JSON.stringify(s)}).then(
      (bytes) => require('node:fs').writeFileSync(${JSON.stringify(out)}, bytes),
      (err) => { process.stdout.write(JSON.stringify({ code: err.code, message: err.message })); },
    );`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, FEDALN_ENGINE: 'cpu' },
  });
  if (r.status !== 0) throw new Error(`factory process failed: ${r.stderr}`);
  return r.stdout ? (JSON.parse(r.stdout) as { code: string; message: string }) : {};
}

let root: string;
beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-initial-keras-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('DenseNetInitialModelFactory with a Keras .h5', () => {
  it("takes the file's features as h5py reads them, Keras's classifier dropped, and the random study's head", async () => {
    expect(create(spec('densenet-tiny.keras2.h5'), path.join(root, 'keras.blob'))).toEqual({});
    expect(create(spec('random'), path.join(root, 'random.blob'))).toEqual({});
    const keras = decodeBlob(await fs.readFile(path.join(root, 'keras.blob')));
    const random = decodeBlob(await fs.readFile(path.join(root, 'random.blob')));
    expect(keras.map((w) => w.name)).toEqual(random.map((w) => w.name)); // same model, same order
    expect(keras.some((w) => w.name.startsWith('predictions/'))).toBe(false);

    const expected = JSON.parse(
      await fs.readFile(path.join(FIXTURES, 'densenet-tiny.keras2.h5.expected.json'), 'utf8'),
    ) as { tensors: { name: string; sha256: string }[] };
    const byName = new Map(keras.map((w) => [w.name, w]));
    const features = expected.tensors.filter((t) => !t.name.startsWith('predictions/'));
    expect(features).toHaveLength(79);
    for (const t of features) {
      const v = byName.get(t.name)!.values;
      expect([
        t.name,
        createHash('sha256')
          .update(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
          .digest('hex'),
      ]).toEqual([t.name, t.sha256]);
    }
    const head = (ws: typeof keras) =>
      ws.filter((w) => w.name.startsWith('aln_output/')).map((w) => Array.from(w.values));
    expect(head(keras)).toEqual(head(random));
  });

  it.each([
    [
      'densenet-tiny.weights.h5',
      'densenet201',
      /init_weights "densenet-tiny.weights.h5": .*the file holds a densenet-tiny: set "arch" to "densenet-tiny"/,
    ],
    [
      'densenet-tiny.bad-shape.h5',
      'densenet-tiny',
      /layer conv1_conv weight kernel: expected \[7,7,3,24\], found \[7,7,3,16\]/,
    ],
    ['no-such-file.h5', 'densenet-tiny', /no-such-file.h5 cannot be read \(ENOENT\)/],
  ])('refuses %s with arch %s: STUDY_SPEC_INVALID naming the problem', (file, arch, message) => {
    const r = create(spec(file, arch), path.join(root, 'refused.blob'));
    expect(r.code).toBe('STUDY_SPEC_INVALID');
    expect(r.message).toMatch(message);
  });
});
