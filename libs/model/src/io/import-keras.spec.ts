/**
 * `fedaln-model import-keras` on the Keras HDF5 fixtures of libs/model/fixtures/keras (written by
 * make_keras_h5.py there with h5py 3.7.0), checked against h5py's own reading of the same files
 * (`*.expected.json`: shape and sha256 of each tensor's float32 bytes). The CLI is spawned because
 * h5wasm is an ES module that jest's CommonJS runtime cannot import.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectEngine } from '../engine';
import { readLayersFormatWeights } from './load-weights-by-name';

const BIN = path.join(__dirname, '..', '..', 'bin', 'fedaln-model.js');
const DIST = path.join(__dirname, '..', '..', 'dist', 'io', 'import-keras.js');
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'keras');

interface Expected {
  tensors: { name: string; shape: number[]; sha256: string; first: number[] }[];
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sha = (values: Float32Array) =>
  createHash('sha256')
    .update(Buffer.from(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');

let root: string;
beforeAll(async () => {
  if (!existsSync(DIST))
    throw new Error(`${DIST} is missing: run \`npm run build\` first (the tests spawn the built CLI)`);
  await selectEngine('cpu');
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fedaln-import-keras-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe.each([
  ['densenet-tiny.keras2.h5', ['--classes', '10'], 'keras2-model', 81],
  ['densenet-tiny.weights.h5', ['--no-top'], 'keras3', 79],
])('import-keras %s', (fixture, flags, layout, count) => {
  it(`writes a layers-format directory whose every tensor equals h5py's reading (${layout})`, async () => {
    const out = path.join(root, fixture);
    const r = run(
      'import-keras',
      path.join(FIXTURES, fixture),
      '--arch',
      'densenet-tiny',
      ...flags,
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(${layout}), ${count} tensors`);
    const expected = JSON.parse(
      await fs.readFile(path.join(FIXTURES, `${fixture}.expected.json`), 'utf8'),
    ) as Expected;
    expect(expected.tensors).toHaveLength(count);

    // The project's loader (what a study's init_weights and `convert` use).
    const loaded = new Map((await readLayersFormatWeights(out)).map((w) => [w.name, w]));
    expect(loaded.size).toBe(count);
    for (const t of expected.tensors) {
      const w = loaded.get(t.name);
      expect({ name: t.name, shape: w?.shape, sha256: w && sha(w.values) }).toEqual({
        name: t.name,
        shape: t.shape,
        sha256: t.sha256,
      });
      expect(Array.from(w!.values.slice(0, 3))).toEqual(t.first);
    }

    // And `fedaln-model inspect --json`, tensor by tensor.
    const inspected = JSON.parse(run('inspect', out, '--json').stdout.trim().split('\n').at(-1)!) as {
      tensors: { name: string; shape: number[]; sha256: string }[];
    };
    const byName = new Map(inspected.tensors.map((t) => [t.name, t]));
    for (const t of expected.tensors)
      expect(byName.get(t.name)).toMatchObject({ shape: t.shape, sha256: t.sha256 });
  });
});

describe('import-keras refuses what does not fit, naming it (exit 2, no stack)', () => {
  const tiny = (name: string) => path.join(FIXTURES, name);
  it.each([
    [
      'a missing weight',
      [tiny('densenet-tiny.stem-only.h5'), '--arch', 'densenet-tiny', '--no-top'],
      /missing 74: conv2_block1_0_bn\/gamma \[24\]/,
    ],
    [
      'a mis-shaped weight',
      [tiny('densenet-tiny.bad-shape.h5'), '--arch', 'densenet-tiny', '--no-top'],
      /layer conv1_conv weight kernel: expected \[7,7,3,24\], found \[7,7,3,16\]/,
    ],
    [
      'a classifier of another size',
      [tiny('densenet-tiny.keras2.h5'), '--arch', 'densenet-tiny'],
      /classifier has 10 classes: pass --classes 10, or --no-top/,
    ],
    [
      'no classifier without --no-top',
      [tiny('densenet-tiny.weights.h5'), '--arch', 'densenet-tiny'],
      /missing 2: predictions\/kernel \[48,1000\].*pass --no-top/,
    ],
    [
      'the wrong --arch (Keras 2)',
      [tiny('densenet-tiny.keras2.h5'), '--arch', 'densenet121', '--classes', '10'],
      /expected \[7,7,3,64\], found \[7,7,3,24\].*the file holds a densenet-tiny: pass --arch densenet-tiny/,
    ],
    [
      'the wrong --arch (Keras 3)',
      [tiny('densenet-tiny.weights.h5'), '--arch', 'densenet201', '--no-top'],
      /the file holds a densenet-tiny: pass --arch densenet-tiny/,
    ],
    [
      'an unknown --arch',
      [tiny('densenet-tiny.keras2.h5'), '--arch', 'resnet50'],
      /--arch "resnet50" is not a DenseNet/,
    ],
  ])('%s', (_what, args, message) => {
    const r = run('import-keras', ...args, '--out', path.join(root, 'refused'));
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
    expect(existsSync(path.join(root, 'refused'))).toBe(false);
  });

  it('names a file that is not HDF5, and a truncated one with both sizes', async () => {
    const text = path.join(root, 'notes.h5');
    await fs.writeFile(text, 'conv1_conv/kernel\n');
    const r1 = run('import-keras', text, '--arch', 'densenet-tiny', '--out', path.join(root, 'refused'));
    expect(r1.stderr).toContain(`${text} is not an HDF5 file (no HDF5 signature)`);
    expect(r1.code).toBe(2);

    const whole = await fs.readFile(tiny('densenet-tiny.keras2.h5'));
    const cut = path.join(root, 'cut.h5');
    await fs.writeFile(cut, whole.subarray(0, 100_000));
    const r2 = run(
      'import-keras',
      cut,
      '--arch',
      'densenet-tiny',
      '--classes',
      '10',
      '--out',
      path.join(root, 'refused'),
    );
    expect(r2.stderr).toContain(
      `${cut} is truncated: its HDF5 superblock says ${whole.length} bytes, the file has 100000`,
    );
    expect(r2.stderr).not.toContain('HDF5-DIAG');
    expect(r2.code).toBe(2);
  });
});
